#!/usr/bin/env bash
# The whole journey of one partner user, against a running backend and the DOKU simulator
# (start both with `npm start`). It does with curl what the partner's mobile app, the user's browser
# on DOKU's pages, and the partner's internal services would do. Needs curl and node.
#
#   bash scripts/demo-journey.sh                   # the DOKU Wallet journey (the default channel)
#   bash scripts/demo-journey.sh --channel dana    # a one-time DANA payment and its refund (docs/channels.md)
#   bash scripts/demo-journey.sh --channel card    # a KKI card payment (token and OTP) and its refund (docs/channels.md)
#   bash scripts/demo-journey.sh --channel checkout  # DOKU's e-Wallet checkout page; refunded in DOKU's back office, then recorded
#   API=http://127.0.0.1:3000 SIM=http://127.0.0.1:4010 bash scripts/demo-journey.sh
#
# It ends with `channel <name>: purchase SUCCESS, refund SUCCESS` and exits 0 only when both did. The
# checkout has no refund call: the API must refuse one (PURCHASE.REFUND_NOT_SUPPORTED), and the refund is
# made in DOKU's back office (the simulator's control API stands for it) and recorded by finance.
set -euo pipefail
CHANNEL=wallet
while [ $# -gt 0 ]; do
  case $1 in
    --channel) CHANNEL=${2:-}; shift 2 ;;
    --channel=*) CHANNEL=${1#--channel=}; shift ;;
    *) echo "unknown argument: $1 (usage: demo-journey.sh [--channel wallet|dana|card|checkout])" >&2; exit 2 ;;
  esac
done
case $CHANNEL in wallet | dana | card | checkout) ;; *) echo "unknown channel: $CHANNEL (wallet, dana, card or checkout)" >&2; exit 2 ;; esac
API=${API:-http://127.0.0.1:3000}
SIM=${SIM:-http://127.0.0.1:4010}
PIN=123456
RUN=$(date +%s)
PHONE="62812$(printf '%08d' $((RUN % 100000000)))"

json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);const out=process.argv[1].split(".").reduce((o,k)=>o?.[k],v);console.log(typeof out==="object"?JSON.stringify(out):out)})' "$1"; }
step() { printf '\n== %s\n' "$*"; }
# A browser on one of DOKU's pages (here the simulator's): load it, fill the form, follow the redirect.
submit_page() {
  local url=$1; shift
  local page action token
  page=$(curl -s "$url")
  action=$(printf '%s' "$page" | sed -n 's/.*<form method="post" action="\([^"]*\)".*/\1/p' | sed 's/&amp;/\&/g')
  token=$(printf '%s' "$page" | sed -n 's/.*name="token" value="\([^"]*\)".*/\1/p')
  case $action in http*) ;; *) action="${SIM}${action}" ;; esac
  curl -s -o /dev/null -w '%{redirect_url}' -X POST "$action" --data-urlencode "token=$token" "$@"
}

step "1. Sign up with the partner app"
curl -s -o /dev/null "$API/v1/auth/register" -H 'content-type: application/json' \
  -d "{\"name\":\"Siti Rahayu\",\"email\":\"siti.$RUN@example.com\",\"phone\":\"$PHONE\",\"password\":\"correct horse battery staple\"}"
TOKEN=$(curl -s "$API/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"siti.$RUN@example.com\",\"password\":\"correct horse battery staple\"}" | json accessToken)
USER_ID=$(curl -s "$API/v1/me" -H "authorization: Bearer $TOKEN" | json id)
AUTH=(-H "authorization: Bearer $TOKEN" -H 'content-type: application/json')
echo "user $USER_ID, phone $PHONE"

# A service client of the partner's (created with the CLI) and its access token.
service_token() {
  local client
  client=$(npm run -s client:create -- --name "demo $1 service $RUN" --scopes "$2" 2>/dev/null)
  curl -s "$API/v1/oauth/token" -d grant_type=client_credentials \
    -d "client_id=$(printf '%s' "$client" | json clientId)" -d "client_secret=$(printf '%s' "$client" | json clientSecret)" | json access_token
}
# Polls a purchase until it leaves PENDING/UNKNOWN (about 20 s at most) and prints its status.
settled_status() {
  local status=PENDING
  for _ in $(seq 1 40); do
    status=$(curl -s "$API/v1/purchases/$1" -H "authorization: Bearer $TOKEN" | json status)
    case $status in PENDING | UNKNOWN) sleep 0.5 ;; *) break ;; esac
  done
  printf '%s' "$status"
}
# The last line, and the exit status: 0 only when both the purchase and the refund succeeded.
verdict() {
  echo
  echo "channel $CHANNEL: purchase $1, refund $2"
  [ "$1" = SUCCESS ] && [ "$2" = SUCCESS ]
}

# The steps every channel's journey is made of; each channel below is only its data.

# pay KEY BODY [quiet]: the app creates the purchase (its answer in PURCHASE, printed unless quiet; its id in PURCHASE_ID).
pay() {
  PURCHASE=$(curl -s "$API/v1/purchases" "${AUTH[@]}" -H "idempotency-key: $1" -d "$2")
  [ "${3:-}" = quiet ] || echo "$PURCHASE"
  PURCHASE_ID=$(printf '%s' "$PURCHASE" | json id)
}
# pay_on_page WHO FORM...: the customer's browser on the purchase's page (DOKU's or DANA's), which sends it back to us.
pay_on_page() {
  local who=$1; shift
  BACK=$(submit_page "$(printf '%s' "$PURCHASE" | json webRedirectUrl)" "$@")
  curl -s -o /dev/null -w "$who: %{http_code}\n" "$BACK"
}
# settle: the app reads the purchase until it settles (its status in PURCHASE_STATUS), then prints it.
settle() {
  PURCHASE_STATUS=$(settled_status "$PURCHASE_ID")
  curl -s "$API/v1/purchases/$PURCHASE_ID" -H "authorization: Bearer $TOKEN"; echo
}
# refund SERVICE_TOKEN KEY AMOUNT: the order service refunds AMOUNT of the purchase (answer in REFUND, status in REFUND_STATUS).
refund() {
  REFUND=$(curl -s "$API/v1/users/$USER_ID/purchases/$PURCHASE_ID/refunds" -H "authorization: Bearer $1" \
    -H 'content-type: application/json' -H "idempotency-key: $2" -d "{\"amount\":$3,\"reason\":\"One item out of stock\"}")
  echo "$REFUND"
  REFUND_STATUS=$(printf '%s' "$REFUND" | json status)
}
# history FIELD...: the user's history, one line per item, the given fields of each item tab-separated.
history() {
  curl -s "$API/v1/transactions" -H "authorization: Bearer $TOKEN" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);for(const i of v.items??v.data??[])console.log(process.argv.slice(1).map((k)=>i[k]).join("\t"))})' "$@"
}

if [ "$CHANNEL" = dana ]; then
  step "2. The app pays 150,000 with DANA: no wallet, no binding; it passes the phone's device id and IP"
  pay "dana-$RUN" '{"amount":150000,"description":"Sepatu lari","paymentMethod":"DANA","deviceId":"demophone01","ipAddress":"203.0.113.7"}'

  step "3. The customer approves in DANA (the simulator's DANA page), and comes back to our page"
  pay_on_page 'DANA redirected to our callback' --data-urlencode "action=approve"
  settle

  step "4. The order service refunds 50,000 of it through DANA"
  SVC=$(service_token refunds refunds:write)
  refund "$SVC" "dana-refund-$RUN" 50000

  step "5. History"
  history type paymentMethod status amount
  verdict "$PURCHASE_STATUS" "$REFUND_STATUS"
  exit $?
fi

if [ "$CHANNEL" = checkout ]; then
  step "2. The app pays 90,000 on DOKU's e-Wallet checkout page: no wallet of ours, no binding"
  pay "checkout-$RUN" '{"amount":90000,"description":"Kaos","paymentMethod":"DOKU_WALLET_CHECKOUT","items":[{"name":"T-Shirt Red","price":30000,"quantity":3}]}'

  step "3. The customer pays on DOKU's page (the simulator's), and comes back to our page"
  pay_on_page 'DOKU redirected to our return page' --data-urlencode "action=approve"
  settle

  step "4. The order service asks for a refund: DOKU has no refund call for this channel, so it is refused"
  SVC=$(service_token refunds refunds:write)
  refund "$SVC" "checkout-refund-$RUN" 30000
  REFUND_CODE=$(printf '%s' "$REFUND" | json error.code)

  step "5. Finance refunds the order in DOKU's back office (the simulator's control API stands for it), then records it: only what DOKU's status reports"
  INVOICE=$(curl -s "$API/v1/purchases/$PURCHASE_ID" -H "authorization: Bearer $TOKEN" | json partnerReferenceNo)
  curl -s -o /dev/null -w "DOKU's back office refunded $INVOICE: %{http_code}\n" -X POST "$SIM/_sim/checkout/orders/$INVOICE/refund"
  FINANCE_EMAIL="finance.$RUN@example.com"
  ADMIN_PASSWORD="demo finance $RUN" npm run -s admin:create -- --email "$FINANCE_EMAIL" --name "Demo Finance" \
    --phone "62813$(printf '%08d' $((RUN % 100000000)))" --role finance > /dev/null
  FINANCE=$(curl -s "$API/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$FINANCE_EMAIL\",\"password\":\"demo finance $RUN\"}" | json accessToken)
  RECORDED=$(curl -s "$API/v1/admin/purchases/$PURCHASE_ID/doku-refunds" -H "authorization: Bearer $FINANCE" \
    -H 'content-type: application/json' -d '{"reason":"Refunded in DOKU back office"}')
  echo "$RECORDED"
  REFUND_STATUS=$(printf '%s' "$RECORDED" | json status)

  step "6. History"
  history type paymentMethod status amount
  [ "$REFUND_CODE" = PURCHASE.REFUND_NOT_SUPPORTED ] || { echo "the API did not refuse the refund call: $REFUND_CODE"; exit 1; }
  verdict "$PURCHASE_STATUS" "$REFUND_STATUS"
  exit $?
fi

step "2. Create a DOKU Wallet: DOKU sends an OTP to the phone"
REG=$(curl -s "$API/v1/wallet/registrations" "${AUTH[@]}" -d "{\"name\":\"Siti Rahayu\",\"email\":\"siti.$RUN@example.com\",\"phone\":\"$PHONE\"}" | json id)
OTP=$(curl -s "$SIM/_sim/otp?phoneNo=$PHONE" | json otp)   # the SMS, read from the simulator
echo "registration $REG, OTP $OTP"

step "3. Verify the OTP, then create the PIN on DOKU's page"
PIN_PAGE=$(curl -s "$API/v1/wallet/registrations/$REG/otp" "${AUTH[@]}" -d "{\"otp\":\"$OTP\"}" | json pinPageUrl)
BACK=$(submit_page "$PIN_PAGE" --data-urlencode "pin=$PIN" --data-urlencode "confirmPin=$PIN")
curl -s -o /dev/null -w 'DOKU redirected to our callback: %{http_code}\n' "$BACK"

step "4. Bind the wallet: approve on DOKU's consent page"
NEXT=$(curl -s "$API/v1/wallet/binding" "${AUTH[@]}" -d '{}' | json nextAction)
BACK=$(submit_page "$NEXT" --data-urlencode "pin=$PIN" --data-urlencode "action=approve")
curl -s -o /dev/null -w 'DOKU redirected to our callback: %{http_code}\n' "$BACK"
curl -s "$API/v1/wallet" -H "authorization: Bearer $TOKEN"; echo

if [ "$CHANNEL" = card ]; then
  # DOKU's sample KKI card, which the simulator knows: its card token and the OTP its issuer "sends".
  step "5. The app pays 150,000 with a KKI card: DOKU's card token and the OTP (the bound wallet's customer token goes with it)"
  pay "card-$RUN" '{"amount":150000,"description":"Sepatu lari","paymentMethod":"CARD","bankCardToken":"de52e5820f4c381db88a1cf91d57b73e","otp":"12345678"}'
  # Without a confirmation link DOKU charged the card at once; the KKI status query makes it SUCCESS.
  settle

  step "6. The order service refunds 50,000 of it to the card"
  SVC=$(service_token refunds refunds:write)
  refund "$SVC" "card-refund-$RUN" 50000

  step "7. History"
  history type paymentMethod status amount
  verdict "$PURCHASE_STATUS" "$REFUND_STATUS"
  exit $?
fi

step "5. The rewards service tops the wallet up from the partner's corporate balance"
SVC=$(service_token rewards topups:write,refunds:write,wallets:read)
SVC_AUTH=(-H "authorization: Bearer $SVC" -H 'content-type: application/json')
INQ=$(curl -s "$API/v1/users/$USER_ID/top-ups/inquiries" "${SVC_AUTH[@]}" -d '{"amount":500000}' | json inquiryId)
curl -s "$API/v1/users/$USER_ID/top-ups" "${SVC_AUTH[@]}" -H "idempotency-key: topup-$RUN" \
  -d "{\"inquiryId\":\"$INQ\",\"merchantOrderRef\":\"reward-$RUN\"}"; echo
curl -s "$API/v1/wallet/balance" -H "authorization: Bearer $TOKEN"; echo

step "6. Pay 150,000 for a purchase: enter the PIN on DOKU's page"
pay "buy-$RUN" '{"amount":150000,"description":"Sepatu lari"}' quiet
pay_on_page 'DOKU redirected to our callback' --data-urlencode "pin=$PIN"
settle

step "7. The order service refunds 50,000 of it"
refund "$SVC" "refund-$RUN" 50000

step "8. Withdraw 100,000 to a bank account"
BANK_INQ=$(curl -s "$API/v1/bank-transfers/inquiries" "${AUTH[@]}" -d '{"bankCode":"014","accountNumber":"1234567890","amount":100000}')
echo "$BANK_INQ"
curl -s "$API/v1/bank-transfers" "${AUTH[@]}" -H "idempotency-key: withdraw-$RUN" \
  -d "{\"inquiryId\":\"$(printf '%s' "$BANK_INQ" | json inquiryId)\"}"; echo

step "9. Balance and history"
curl -s "$API/v1/wallet/balance" -H "authorization: Bearer $TOKEN"; echo
history type status amount source
verdict "$PURCHASE_STATUS" "$REFUND_STATUS"
