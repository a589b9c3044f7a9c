import { Box, Button, Card, CardContent, Chip, Stack, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import {
  Datagrid,
  DateField,
  DateInput,
  FunctionField,
  List,
  NumberInput,
  SelectInput,
  Show,
  SimpleShowLayout,
  TextField,
  TextInput,
  useNotify,
  usePermissions,
  useRecordContext,
  useRefresh,
} from 'react-admin';
import { call, currentSession, newKey, query } from './api';
import { FormDialog } from './dialogs';
import { age, json, rupiah, when } from './format';

const choices = (names: string[]) => names.map((id) => ({ id, name: id }));
const STATUSES = choices(['PENDING', 'UNKNOWN', 'SUCCESS', 'FAILED', 'CANCELED']);
const TYPES = choices(['PURCHASE', 'REFUND', 'CANCEL', 'TOP_UP', 'BANK_TRANSFER']);
const CHANNELS = choices(['DOKU_WALLET', 'DANA', 'CARD', 'DOKU_WALLET_CHECKOUT']);

const transactionFilters = [
  <SelectInput key="status" source="status" choices={STATUSES} alwaysOn />,
  <SelectInput key="type" source="type" choices={TYPES} alwaysOn />,
  <SelectInput key="paymentMethod" source="paymentMethod" label="Channel" choices={CHANNELS} alwaysOn />,
  <NumberInput key="minAmount" source="minAmount" label="Amount from" />,
  <NumberInput key="maxAmount" source="maxAmount" label="Amount to" />,
  <DateInput key="from" source="from" label="Created from" />,
  <DateInput key="to" source="to" label="Created until" />,
  <TextInput key="userId" source="userId" label="Customer id" />,
  <SelectInput
    key="dokuDisagrees"
    source="dokuDisagrees"
    label="DOKU disagrees"
    choices={[
      { id: 'open', name: 'yes, not handled' },
      { id: 'true', name: 'yes' },
      { id: 'false', name: 'no' },
    ]}
  />,
];

const Columns = () => (
  <Datagrid rowClick={(id) => `/transactions/${id}/show`} bulkActionButtons={false}>
    <DateField source="createdAt" showTime />
    <TextField source="type" />
    <TextField source="status" />
    <TextField source="paymentMethod" label="Channel" />
    <FunctionField label="Amount" render={(r: { amount: number }) => rupiah(r.amount)} />
    <FunctionField label="Refunded" render={(r: { refundedAmount: number }) => rupiah(r.refundedAmount)} />
    <TextField source="partnerReferenceNo" label="Reference" />
  </Datagrid>
);

export const TransactionList = () => (
  <List filters={transactionFilters} title="Transactions" exporter={false}>
    <Columns />
  </List>
);

/** The reconciliation queue: flagged after the last scheduled check with DOKU, still unresolved. */
export const AttentionList = () => (
  <List title="Needs a person" exporter={false} empty={<Typography sx={{ p: 2 }}>Nothing waits for a person.</Typography>}>
    <Datagrid rowClick={(id) => `/transactions/${id}/show`} bulkActionButtons={false}>
      <FunctionField
        label="Waiting for"
        render={(r: { createdAt: string }) => age(Math.floor((Date.now() - Date.parse(r.createdAt)) / 1000))}
      />
      <TextField source="type" />
      <TextField source="status" />
      <FunctionField label="Amount" render={(r: { amount: number }) => rupiah(r.amount)} />
      <TextField source="partnerReferenceNo" label="Reference" />
      <DateField source="attentionRequiredAt" label="Flagged" showTime />
    </Datagrid>
  </List>
);

interface Tx {
  id: string;
  type: string;
  status: string;
  amount: number;
  refundedAmount: number;
  partnerReferenceNo: string;
  attentionRequiredAt: string | null;
  dokuDisagreesAt: string | null;
  dokuReportedStatus: string | null;
  dokuDisagreementHandledAt: string | null;
  dokuDisagreementNote: string | null;
  events?: Array<{
    fromStatus: string | null;
    toStatus: string;
    cause: string;
    causeDescription: string;
    details: unknown;
    createdAt: string;
  }>;
}

function Timeline() {
  const record = useRecordContext<Tx>();
  if (!record?.events) return null;
  return (
    <Box data-testid="timeline">
      <Typography variant="h6">Timeline</Typography>
      {record.events.map((e, i) => (
        <Box key={i} sx={{ borderLeft: '3px solid #1976d2', pl: 1, mb: 1 }}>
          <Typography variant="body2">
            <b>{when(e.createdAt)}</b> — {e.fromStatus ?? 'new'} → {e.toStatus} ({e.cause})
          </Typography>
          <Typography variant="caption">{e.causeDescription}</Typography>
        </Box>
      ))}
    </Box>
  );
}

interface Exchange {
  id: string;
  endpoint: string;
  attempt: number;
  httpStatus: number | null;
  responseCode: string | null;
  outcome: string;
  durationMs: number;
  requestBody: unknown;
  responseBody: unknown;
  startedAt: string;
}

function Exchanges() {
  const record = useRecordContext<Tx>();
  const [items, setItems] = useState<Exchange[] | null>(null);
  const ref = record?.partnerReferenceNo;
  useEffect(() => {
    if (!ref) return;
    call<{ items: Exchange[] }>('GET', `/v1/admin/doku-exchanges${query({ partnerReference: ref, pageSize: 100 })}`).then(
      (res) => setItems(res.items),
      () => setItems([]),
    );
  }, [ref]);
  if (!items) return null;
  return (
    <Box data-testid="exchanges">
      <Typography variant="h6">Exchanges with DOKU ({items.length})</Typography>
      {items.map((x) => (
        <details key={x.id}>
          <summary>
            {when(x.startedAt)} {x.endpoint} #{x.attempt}: {x.outcome} {x.httpStatus ?? ''} {x.responseCode ?? ''} (
            {Math.round(x.durationMs)} ms)
          </summary>
          <Stack direction="row" spacing={2}>
            <pre style={{ fontSize: 12 }}>{json(x.requestBody)}</pre>
            <pre style={{ fontSize: 12 }}>{json(x.responseBody)}</pre>
          </Stack>
        </details>
      ))}
    </Box>
  );
}

function MoneyActions() {
  const record = useRecordContext<Tx>();
  const { permissions } = usePermissions<string>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [dialog, setDialog] = useState<'refund' | 'resolve' | null>(null);
  if (!record || permissions !== 'finance') return null;
  const refundable = record.type === 'PURCHASE' && record.status === 'SUCCESS' && record.amount > record.refundedAmount;
  const unresolved = record.attentionRequiredAt !== null && ['PENDING', 'UNKNOWN'].includes(record.status);
  const fail = (e: unknown) => {
    notify((e as Error).message, { type: 'error' });
    throw e;
  };
  return (
    <Box sx={{ my: 1 }}>
      {refundable && (
        <Button variant="contained" onClick={() => setDialog('refund')}>
          Refund
        </Button>
      )}
      {unresolved && (
        <Button variant="contained" color="warning" sx={{ ml: 1 }} onClick={() => setDialog('resolve')}>
          Resolve
        </Button>
      )}
      <FormDialog
        title="Refund this purchase"
        submitLabel="Request refund"
        open={dialog === 'refund'}
        onClose={() => setDialog(null)}
        fields={[
          { name: 'amount', label: 'Amount (rupiah)', type: 'number', initial: String(record.amount - record.refundedAmount) },
          { name: 'reason', label: 'Reason' },
        ]}
        onSubmit={async (v) => {
          const res = await call<{ kind?: string; status: string }>('POST', `/v1/admin/purchases/${record.id}/refunds`, {
            body: { amount: Number(v.amount), reason: v.reason },
            idempotencyKey: newKey(),
          }).catch(fail);
          notify(
            res.kind === 'REFUND' ? 'Above the threshold: the refund waits for a second person in Approvals' : `Refund ${res.status}`,
            {
              type: 'info',
            },
          );
          refresh();
        }}
      />
      <FormDialog
        title="Resolve this transaction"
        submitLabel="Ask to resolve"
        open={dialog === 'resolve'}
        onClose={() => setDialog(null)}
        fields={[
          { name: 'status', label: 'Outcome', options: ['SUCCESS', 'FAILED'], initial: 'FAILED' },
          { name: 'reason', label: 'Reason (at least 10 characters)' },
        ]}
        onSubmit={async (v) => {
          await call('POST', `/v1/admin/transactions/${record.id}/resolution`, { body: { status: v.status, reason: v.reason } }).catch(
            fail,
          );
          notify('Resolution requested: another finance person approves it in Approvals', { type: 'info' });
          refresh();
        }}
      />
    </Box>
  );
}

function AttentionFlag() {
  const record = useRecordContext<Tx>();
  if (!record?.attentionRequiredAt) return null;
  return <Chip color="warning" label={`Needs a person since ${when(record.attentionRequiredAt)}`} />;
}

/** A settled purchase DOKU's own answer contradicts (docs/operations.md#a-purchase-doku-disagrees-with). */
function DisagreementFlag() {
  const record = useRecordContext<Tx>();
  const { permissions } = usePermissions<string>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [dialog, setDialog] = useState(false);
  if (!record?.dokuDisagreesAt) return null;
  const handled = record.dokuDisagreementHandledAt;
  return (
    <Box sx={{ my: 1 }}>
      <Chip
        color={handled ? 'default' : 'error'}
        data-testid="doku-disagrees"
        label={
          `${record.status} here, DOKU reports ${record.dokuReportedStatus ?? '?'} (since ${when(record.dokuDisagreesAt)})` +
          (handled ? `; handled ${when(handled)}: ${record.dokuDisagreementNote ?? ''}` : '')
        }
      />
      {!handled && permissions === 'finance' && (
        <Button variant="contained" color="error" sx={{ ml: 1 }} onClick={() => setDialog(true)}>
          Mark handled
        </Button>
      )}
      <FormDialog
        title="What was done about it"
        submitLabel="Mark handled"
        open={dialog}
        onClose={() => setDialog(false)}
        fields={[{ name: 'note', label: 'Note (at least 10 characters): refund at DOKU, order stopped, ticket...' }]}
        onSubmit={async (v) => {
          await call('POST', `/v1/admin/transactions/${record.id}/doku-disagreement/handled`, { body: { note: v.note } }).catch(
            (e: unknown) => {
              notify((e as Error).message, { type: 'error' });
              throw e;
            },
          );
          notify('Marked handled', { type: 'info' });
          refresh();
        }}
      />
    </Box>
  );
}

export const TransactionShow = () => (
  <Show title="Transaction">
    <SimpleShowLayout>
      <AttentionFlag />
      <DisagreementFlag />
      <TextField source="type" />
      <TextField source="status" />
      <TextField source="paymentMethod" label="Channel" />
      <FunctionField label="Amount" render={(r: Tx) => rupiah(r.amount)} />
      <FunctionField label="Refunded" render={(r: Tx) => rupiah(r.refundedAmount)} />
      <TextField source="partnerReferenceNo" label="Our reference" />
      <TextField source="dokuReferenceNo" label="DOKU reference" emptyText="—" />
      <TextField source="userId" label="Customer id" />
      <TextField source="failureCode" emptyText="—" />
      <FunctionField label="Details" render={(r: { details: unknown }) => <pre style={{ margin: 0 }}>{json(r.details)}</pre>} />
      <MoneyActions />
      <Card variant="outlined">
        <CardContent>
          <Timeline />
        </CardContent>
      </Card>
      <Exchanges />
    </SimpleShowLayout>
  </Show>
);

export const myId = () => currentSession()?.user.id;
