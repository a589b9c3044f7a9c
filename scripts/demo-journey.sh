#!/usr/bin/env bash
# The whole journey of one partner user, against a running backend and the DOKU simulator
# (start both with `npm start`). It does with curl what the partner's mobile app, the user's browser
# on DOKU's pages, and the partner's internal services would do. Needs curl and node.
#
#   bash scripts/demo-journey.sh            # API on :3000, simulator on :4010
#   API=http://127.0.0.1:3000 SIM=http://127.0.0.1:4010 bash scripts/demo-journey.sh
set -euo pipefail
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
TOKEN=$(curl -s "$API/v1/auth/register" -H 'content-type: application/json' \
  -d "{\"name\":\"Siti Rahayu\",\"email\":\"siti.$RUN@example.com\",\"phone\":\"$PHONE\",\"password\":\"correct horse battery staple\"}" | json tokens.accessToken)
USER_ID=$(curl -s "$API/v1/me" -H "authorization: Bearer $TOKEN" | json id)
AUTH=(-H "authorization: Bearer $TOKEN" -H 'content-type: application/json')
echo "user $USER_ID, phone $PHONE"

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

step "5. The rewards service tops the wallet up from the partner's corporate balance"
CLIENT=$(npm run -s client:create -- --name "demo rewards service $RUN" --scopes topups:write,refunds:write,wallets:read 2>/dev/null)
SVC=$(curl -s "$API/v1/oauth/token" -d grant_type=client_credentials \
  -d "client_id=$(printf '%s' "$CLIENT" | json clientId)" -d "client_secret=$(printf '%s' "$CLIENT" | json clientSecret)" | json access_token)
SVC_AUTH=(-H "authorization: Bearer $SVC" -H 'content-type: application/json')
INQ=$(curl -s "$API/v1/users/$USER_ID/top-ups/inquiries" "${SVC_AUTH[@]}" -d '{"amount":500000}' | json inquiryId)
curl -s "$API/v1/users/$USER_ID/top-ups" "${SVC_AUTH[@]}" -H "idempotency-key: topup-$RUN" \
  -d "{\"inquiryId\":\"$INQ\",\"merchantOrderRef\":\"reward-$RUN\"}"; echo
curl -s "$API/v1/wallet/balance" -H "authorization: Bearer $TOKEN"; echo

step "6. Pay 150,000 for a purchase: enter the PIN on DOKU's page"
PURCHASE=$(curl -s "$API/v1/purchases" "${AUTH[@]}" -H "idempotency-key: buy-$RUN" -d '{"amount":150000,"description":"Sepatu lari"}')
PURCHASE_ID=$(printf '%s' "$PURCHASE" | json id)
BACK=$(submit_page "$(printf '%s' "$PURCHASE" | json webRedirectUrl)" --data-urlencode "pin=$PIN")
curl -s -o /dev/null -w 'DOKU redirected to our callback: %{http_code}\n' "$BACK"
curl -s "$API/v1/purchases/$PURCHASE_ID" -H "authorization: Bearer $TOKEN"; echo

step "7. The order service refunds 50,000 of it"
curl -s "$API/v1/users/$USER_ID/purchases/$PURCHASE_ID/refunds" "${SVC_AUTH[@]}" -H "idempotency-key: refund-$RUN" \
  -d '{"amount":50000,"reason":"One item out of stock"}'; echo

step "8. Withdraw 100,000 to a bank account"
BANK_INQ=$(curl -s "$API/v1/bank-transfers/inquiries" "${AUTH[@]}" -d '{"bankCode":"014","accountNumber":"1234567890","amount":100000}')
echo "$BANK_INQ"
curl -s "$API/v1/bank-transfers" "${AUTH[@]}" -H "idempotency-key: withdraw-$RUN" \
  -d "{\"inquiryId\":\"$(printf '%s' "$BANK_INQ" | json inquiryId)\"}"; echo

step "9. Balance and history"
curl -s "$API/v1/wallet/balance" -H "authorization: Bearer $TOKEN"; echo
curl -s "$API/v1/transactions" -H "authorization: Bearer $TOKEN" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);for(const i of v.items??v.data??[])console.log([i.type,i.status,i.amount,i.source??""].join("\t"))})'
