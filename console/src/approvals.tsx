import { Button, Stack } from '@mui/material';
import { useState } from 'react';
import {
  Datagrid,
  DateField,
  FunctionField,
  List,
  SelectInput,
  TextField,
  useNotify,
  usePermissions,
  useRecordContext,
  useRefresh,
} from 'react-admin';
import { call, currentSession } from './api';
import { FormDialog } from './dialogs';
import { json, rupiah } from './format';

const approvalFilters = [
  <SelectInput
    key="status"
    source="status"
    choices={['PENDING', 'APPROVED', 'EXECUTED', 'REJECTED', 'FAILED'].map((id) => ({ id, name: id }))}
    alwaysOn
  />,
  <SelectInput key="kind" source="kind" choices={['REFUND', 'RESOLUTION'].map((id) => ({ id, name: id }))} alwaysOn />,
];

interface Approval {
  id: string;
  kind: string;
  status: string;
  requestedBy: string;
  result: unknown;
}

/** Approve or reject: finance only, never the person who asked (the server refuses that too). */
function Decide() {
  const record = useRecordContext<Approval>();
  const { permissions } = usePermissions<string>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [rejecting, setRejecting] = useState(false);
  if (!record || record.status !== 'PENDING' || permissions !== 'finance') return null;
  if (record.requestedBy === currentSession()?.user.id) return <span>Waiting for another person</span>;
  const decide = async (verb: 'approve' | 'reject', note?: string) => {
    try {
      const res = await call<Approval>('POST', `/v1/admin/approvals/${record.id}/${verb}`, { body: note ? { note } : {} });
      notify(`${record.kind} ${res.status}`, { type: res.status === 'FAILED' ? 'warning' : 'info' });
      refresh();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
      throw e;
    }
  };
  return (
    <Stack direction="row" spacing={1} onClick={(e) => e.stopPropagation()}>
      <Button size="small" variant="contained" onClick={() => void decide('approve').catch(() => undefined)}>
        Approve
      </Button>
      <Button size="small" color="error" onClick={() => setRejecting(true)}>
        Reject
      </Button>
      <FormDialog
        title="Reject this request"
        submitLabel="Reject"
        open={rejecting}
        onClose={() => setRejecting(false)}
        fields={[{ name: 'note', label: 'Why' }]}
        onSubmit={(v) => decide('reject', v.note)}
      />
    </Stack>
  );
}

export const ApprovalList = () => (
  <List filters={approvalFilters} filterDefaultValues={{ status: 'PENDING' }} title="Approvals (maker-checker)" exporter={false}>
    <Datagrid bulkActionButtons={false} expand={<FunctionField render={(r: Approval) => <pre>{json(r.result)}</pre>} />}>
      <DateField source="createdAt" showTime />
      <TextField source="kind" />
      <TextField source="status" />
      <FunctionField label="Amount" render={(r: { amount: number | null }) => rupiah(r.amount)} />
      <TextField source="reason" />
      <TextField source="requestedBy" label="Asked by" />
      <TextField source="decidedBy" label="Decided by" emptyText="—" />
      <TextField source="targetId" label="Target" />
      <Decide />
    </Datagrid>
  </List>
);
