/** `1140340010` → `******0010`: enough for the user to recognise their account, not to use it. */
export function maskAccountId(accountId: string | null): string | null {
  if (!accountId) return null;
  const visible = accountId.slice(-4);
  return `${'*'.repeat(Math.max(accountId.length - visible.length, 2))}${visible}`;
}

/** `6281234567890` → `6281******890`. */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return null;
  if (phone.length <= 7) return '*'.repeat(phone.length);
  return `${phone.slice(0, 4)}${'*'.repeat(phone.length - 7)}${phone.slice(-3)}`;
}
