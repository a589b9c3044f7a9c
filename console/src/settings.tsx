import { Alert, Button, MenuItem, Select, Stack, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import {
  Datagrid,
  DateField,
  FunctionField,
  List,
  SearchInput,
  SelectInput,
  Show,
  SimpleShowLayout,
  TextField,
  TopToolbar,
  useNotify,
  usePermissions,
  useRecordContext,
  useRedirect,
  useRefresh,
} from 'react-admin';
import { call, currentSession } from './api';
import type { Field } from './dialogs';
import { FormDialog } from './dialogs';
import { when } from './format';

const fail = (notify: ReturnType<typeof useNotify>) => (e: unknown) => {
  notify((e as Error).message, { type: 'error' });
  throw e;
};

/** A secret shown once, the moment it is made. */
function OneTimeSecret({ secret }: { secret: { label: string; value: string } | null }) {
  if (!secret) return null;
  return (
    <Alert severity="warning" sx={{ my: 1 }}>
      {secret.label}: <code data-testid="one-time-secret">{secret.value}</code> — shown this once; store it now.
    </Alert>
  );
}

// Webhook subscriptions and their deliveries.

/** The parts of a comma-separated answer. */
const listOf = (text: string) =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

/** A toolbar button that opens a form, creates something and shows its secret once. */
function CreateWithSecret(props: {
  buttonLabel: string;
  title: string;
  submitLabel: string;
  fields: Field[];
  create: (values: Record<string, string>) => Promise<{ label: string; value: string }>;
}) {
  const notify = useNotify();
  const refresh = useRefresh();
  const [open, setOpen] = useState(false);
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  return (
    <TopToolbar>
      <OneTimeSecret secret={secret} />
      <Button variant="contained" onClick={() => setOpen(true)}>
        {props.buttonLabel}
      </Button>
      <FormDialog
        title={props.title}
        submitLabel={props.submitLabel}
        open={open}
        onClose={() => setOpen(false)}
        fields={props.fields}
        onSubmit={async (values) => {
          setSecret(await props.create(values).catch(fail(notify)));
          refresh();
        }}
      />
    </TopToolbar>
  );
}

/** Admins subscribe a URL; the signing secret is shown once. */
function CreateWebhook() {
  const { permissions } = usePermissions<string>();
  if (permissions !== 'admin') return null;
  return (
    <CreateWithSecret
      buttonLabel="New subscription"
      title="New webhook subscription"
      submitLabel="Subscribe"
      fields={[
        { name: 'url', label: 'URL (https)' },
        { name: 'description', label: 'Description' },
        { name: 'eventTypes', label: 'Event types, comma separated (empty: all)' },
      ]}
      create={async (v) => {
        const eventTypes = listOf(v.eventTypes);
        const r = await call<{ id: string; secret: string }>('POST', '/v1/admin/webhooks', {
          body: { url: v.url, description: v.description, ...(eventTypes.length ? { eventTypes } : {}) },
        });
        return { label: `Signing secret of ${r.id}`, value: r.secret };
      }}
    />
  );
}

/** Admins: a new signing secret (shown once), or the end of the subscription. */
function WebhookActions() {
  const record = useRecordContext<{ id: string }>();
  const { permissions } = usePermissions<string>();
  const notify = useNotify();
  const redirect = useRedirect();
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  if (!record || permissions !== 'admin') return null;
  return (
    <Stack direction="row" spacing={1}>
      <OneTimeSecret secret={secret} />
      <Button
        size="small"
        onClick={() =>
          void call<{ secret: string }>('POST', `/v1/admin/webhooks/${record.id}/rotate-secret`).then(
            (r) => setSecret({ label: 'New signing secret (the old one signs alongside it for 24 hours)', value: r.secret }),
            fail(notify),
          )
        }
      >
        Rotate secret
      </Button>
      <Button
        size="small"
        color="error"
        onClick={() =>
          void call('DELETE', `/v1/admin/webhooks/${record.id}`).then(() => {
            notify('Subscription deleted', { type: 'info' });
            redirect('list', 'webhooks');
          }, fail(notify))
        }
      >
        Delete subscription
      </Button>
    </Stack>
  );
}

export const WebhookList = () => (
  <List title="Webhook subscriptions" exporter={false} pagination={false} actions={<CreateWebhook />} empty={false}>
    <Datagrid rowClick="show" bulkActionButtons={false}>
      <TextField source="url" />
      <FunctionField label="Events" render={(r: { eventTypes: string[] }) => (r.eventTypes.length ? r.eventTypes.join(', ') : 'all')} />
      <TextField source="description" />
      <DateField source="createdAt" />
    </Datagrid>
  </List>
);

interface Delivery {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

function Deliveries() {
  const record = useRecordContext<{ id: string }>();
  const notify = useNotify();
  const [items, setItems] = useState<Delivery[]>([]);
  const id = record?.id;
  const load = () => {
    if (id)
      void call<{ deliveries: Delivery[] }>('GET', `/v1/admin/webhooks/${id}/deliveries`).then((r) => setItems(r.deliveries), fail(notify));
  };
  useEffect(load, [id]);
  return (
    <Stack spacing={1}>
      <Typography variant="h6">Delivery log</Typography>
      {items.map((d) => (
        <Stack direction="row" spacing={2} key={d.id} sx={{ alignItems: 'center' }}>
          <span>{when(d.createdAt)}</span>
          <span>{d.eventType}</span>
          <b>{d.status}</b>
          <span>
            {d.attempts} attempt(s) {d.lastStatusCode ?? ''} {d.lastError ?? ''}
          </span>
          <Button
            size="small"
            onClick={() =>
              void call('POST', `/v1/admin/webhook-deliveries/${d.id}/redeliver`, { body: {} }).then(() => {
                notify('Queued for delivery again', { type: 'info' });
                load();
              }, fail(notify))
            }
          >
            Redeliver
          </Button>
        </Stack>
      ))}
      {items.length === 0 && <span>No deliveries yet.</span>}
    </Stack>
  );
}

export const WebhookShow = () => (
  <Show title="Webhook subscription">
    <SimpleShowLayout>
      <TextField source="url" />
      <TextField source="description" />
      <WebhookActions />
      <Deliveries />
    </SimpleShowLayout>
  </Show>
);

// Service clients (admins): create, rotate, revoke.

const SCOPES = ['purchases:write', 'topups:write', 'refunds:write', 'wallets:read', 'events:read'];

function ClientActions() {
  const record = useRecordContext<{ clientId: string; active: boolean }>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  if (!record) return null;
  return (
    <span onClick={(e) => e.stopPropagation()}>
      <OneTimeSecret secret={secret} />
      {record.active && (
        <>
          <Button
            size="small"
            onClick={() =>
              void call<{ clientSecret: string }>('POST', `/v1/admin/service-clients/${record.clientId}/rotate`).then((r) => {
                setSecret({ label: `New secret of ${record.clientId}`, value: r.clientSecret });
                refresh();
              }, fail(notify))
            }
          >
            Rotate secret
          </Button>
          <Button
            size="small"
            color="error"
            onClick={() =>
              void call('POST', `/v1/admin/service-clients/${record.clientId}/revoke`).then(() => {
                notify('Revoked', { type: 'info' });
                refresh();
              }, fail(notify))
            }
          >
            Revoke
          </Button>
        </>
      )}
    </span>
  );
}

function CreateClient() {
  return (
    <CreateWithSecret
      buttonLabel="New service client"
      title="New service client"
      submitLabel="Create"
      fields={[
        { name: 'name', label: 'Name (the service)' },
        { name: 'scopes', label: `Scopes, comma separated (${SCOPES.join(', ')})` },
      ]}
      create={async (v) => {
        const r = await call<{ clientId: string; clientSecret: string }>('POST', '/v1/admin/service-clients', {
          body: { name: v.name, scopes: listOf(v.scopes) },
        });
        return { label: `Secret of ${r.clientId}`, value: r.clientSecret };
      }}
    />
  );
}

export const ServiceClientList = () => (
  <List title="Service clients" exporter={false} pagination={false} actions={<CreateClient />} empty={false}>
    <Datagrid bulkActionButtons={false}>
      <TextField source="clientId" label="Client id" />
      <TextField source="name" />
      <FunctionField label="Scopes" render={(r: { scopes: string[] }) => r.scopes.join(' ')} />
      <FunctionField label="State" render={(r: { active: boolean }) => (r.active ? 'active' : 'revoked')} />
      <TextField source="secretVersion" label="Secret version" />
      <ClientActions />
    </Datagrid>
  </List>
);

// Staff and roles (admins change roles; never their own).

const ROLES = ['user', 'support', 'finance', 'admin'];

function RoleSelect() {
  const record = useRecordContext<{ id: string; role: string }>();
  const { permissions } = usePermissions<string>();
  const notify = useNotify();
  const refresh = useRefresh();
  if (!record) return null;
  if (permissions !== 'admin' || record.id === currentSession()?.user.id) return <span>{record.role}</span>;
  return (
    <Select
      size="small"
      value={record.role}
      onClick={(e) => e.stopPropagation()}
      onChange={(e) =>
        void call('PUT', `/v1/admin/users/${record.id}/role`, { body: { role: e.target.value } }).then(() => {
          notify('Role changed', { type: 'info' });
          refresh();
        }, fail(notify))
      }
    >
      {ROLES.map((r) => (
        <MenuItem key={r} value={r}>
          {r}
        </MenuItem>
      ))}
    </Select>
  );
}

const staffFilters = [
  <SearchInput key="q" source="q" alwaysOn placeholder="Email or phone" />,
  <SelectInput key="role" source="role" choices={['support', 'finance', 'admin'].map((id) => ({ id, name: id }))} alwaysOn />,
];

export const StaffList = () => (
  <List filters={staffFilters} title="Staff and roles" exporter={false}>
    <Datagrid bulkActionButtons={false}>
      <TextField source="name" />
      <TextField source="email" />
      <FunctionField label="Role" render={() => <RoleSelect />} />
      <DateField source="createdAt" />
    </Datagrid>
  </List>
);
