import { Datagrid, DateField, DateInput, FunctionField, List, TextField, TextInput } from 'react-admin';
import { json } from './format';

const auditFilters = [
  <TextInput key="action" source="action" alwaysOn />,
  <TextInput key="actorId" source="actorId" label="Who (user id)" />,
  <TextInput key="targetType" source="targetType" label="Target type" />,
  <TextInput key="targetId" source="targetId" label="Target id" />,
  <DateInput key="from" source="from" />,
  <DateInput key="to" source="to" />,
];

interface Entry {
  actor: { kind: string; id: string | null; role: string | null; ip: string | null };
  before: unknown;
  after: unknown;
}

/** The hash-chained audit trail, newest first (admins). */
export const AuditList = () => (
  <List filters={auditFilters} title="Audit trail" exporter={false}>
    <Datagrid
      bulkActionButtons={false}
      expand={<FunctionField render={(r: Entry) => <pre>{`before ${json(r.before)}\nafter ${json(r.after)}`}</pre>} />}
    >
      <TextField source="seq" />
      <DateField source="occurredAt" showTime />
      <TextField source="action" />
      <FunctionField label="Who" render={(r: Entry) => `${r.actor.kind} ${r.actor.id ?? ''} ${r.actor.role ? `(${r.actor.role})` : ''}`} />
      <FunctionField label="From" render={(r: Entry) => r.actor.ip ?? '—'} />
      <TextField source="targetType" label="Target" />
      <TextField source="targetId" label="Target id" emptyText="—" />
    </Datagrid>
  </List>
);
