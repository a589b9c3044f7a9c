import { Box, Button, Card, CardContent, Typography } from '@mui/material';
import { useState } from 'react';
import {
  Datagrid,
  DateField,
  FunctionField,
  List,
  Pagination,
  ReferenceManyField,
  SearchInput,
  Show,
  SimpleShowLayout,
  TextField,
  useNotify,
  useRecordContext,
} from 'react-admin';
import { call } from './api';
import { json, rupiah, when } from './format';

const customerFilters = [<SearchInput key="q" source="q" alwaysOn placeholder="Phone, email or DOKU account" />];

/**
 * The search is kept in the list itself, not in the address. A list that keeps it in the address
 * applies the typing 500 ms later by navigating to the list's own address, and a person who clicks a
 * customer just then is taken back to the list. Kept in the list, the search also leaves nothing of a
 * customer's phone or email in the browser's address history or stored list settings.
 */
export const CustomerList = () => (
  <List filters={customerFilters} title="Customers" disableSyncWithLocation exporter={false}>
    <Datagrid rowClick="show" bulkActionButtons={false}>
      <TextField source="name" />
      <TextField source="email" />
      <TextField source="phone" />
      <TextField source="wallet.status" label="Wallet" emptyText="NONE" />
      <TextField source="wallet.accountId" label="DOKU account" emptyText="—" />
      <DateField source="createdAt" label="Joined" />
    </Datagrid>
  </List>
);

interface BalanceCheck {
  balance: Record<string, unknown>;
  breaks: unknown[];
  consistent: boolean;
}

function BalancePanel() {
  const record = useRecordContext<{ id: string; wallet: { status: string } | null }>();
  const notify = useNotify();
  const [check, setCheck] = useState<BalanceCheck | null>(null);
  const [busy, setBusy] = useState(false);
  if (!record) return null;
  const run = async () => {
    setBusy(true);
    try {
      setCheck(await call<BalanceCheck>('GET', `/v1/admin/users/${record.id}/balance-check`));
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Box sx={{ mt: 1 }}>
      <Button variant="outlined" disabled={busy || record.wallet?.status !== 'BOUND'} onClick={() => void run()}>
        Check the balance with DOKU
      </Button>
      {check && (
        <Box sx={{ mt: 1 }} data-testid="balance-check">
          <Typography variant="body2">
            {check.consistent ? 'Our records match DOKU.' : `${check.breaks.length} difference(s) with DOKU.`}
          </Typography>
          <pre style={{ fontSize: 12 }}>{json(check.balance)}</pre>
        </Box>
      )}
    </Box>
  );
}

function WalletCard() {
  const record = useRecordContext<{
    wallet: { status: string; accountId: string | null; phone: string | null; boundAt: string | null } | null;
  }>();
  if (!record) return null;
  const wallet = record.wallet;
  return (
    <Card variant="outlined" sx={{ maxWidth: 520 }}>
      <CardContent>
        <Typography variant="h6">DOKU Wallet</Typography>
        {wallet ? (
          <Box data-testid="wallet">
            <Typography>State: {wallet.status}</Typography>
            <Typography>DOKU account: {wallet.accountId ?? '—'}</Typography>
            <Typography>Wallet phone: {wallet.phone ?? '—'}</Typography>
            <Typography>Bound since: {when(wallet.boundAt)}</Typography>
          </Box>
        ) : (
          <Typography>No wallet yet.</Typography>
        )}
        <BalancePanel />
      </CardContent>
    </Card>
  );
}

export const CustomerShow = () => (
  <Show title="Customer">
    <SimpleShowLayout>
      <TextField source="name" />
      <TextField source="email" />
      <TextField source="phone" />
      <FunctionField
        label="Sign-in"
        render={(r: { signInLockedUntil: string | null }) => (r.signInLockedUntil ? `locked until ${when(r.signInLockedUntil)}` : 'open')}
      />
      <WalletCard />
      <ReferenceManyField label="Transactions" reference="transactions" target="userId" pagination={<Pagination />} perPage={10}>
        <Datagrid rowClick="show" bulkActionButtons={false}>
          <TextField source="type" />
          <TextField source="status" />
          <TextField source="paymentMethod" label="Channel" />
          <FunctionField label="Amount" render={(r: { amount: number }) => rupiah(r.amount)} />
          <DateField source="createdAt" showTime />
        </Datagrid>
      </ReferenceManyField>
    </SimpleShowLayout>
  </Show>
);
