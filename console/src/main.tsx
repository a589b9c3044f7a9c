import { QueryClient } from '@tanstack/react-query';
import { createRoot } from 'react-dom/client';
import { Admin, Resource } from 'react-admin';
import { ApprovalList } from './approvals';
import { AuditList } from './audit';
import { CustomerList, CustomerShow } from './customers';
import { Dashboard } from './dashboard';
import { authProvider, dataProvider } from './providers';
import { ServiceClientList, StaffList, WebhookList, WebhookShow } from './settings';
import { AttentionList, TransactionList, TransactionShow } from './transactions';

/**
 * The back-office console (docs/back-office.md#the-console). Each role sees the screens its API
 * routes allow; the API checks every call again, whatever the page shows.
 */
/** The API's refusals are final (a retry would be refused the same), and a person can reload. */
const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } } });

function Console() {
  return (
    <Admin
      title="Back office"
      queryClient={queryClient}
      dataProvider={dataProvider}
      authProvider={authProvider}
      dashboard={Dashboard}
      requireAuth
      disableTelemetry
    >
      {(role: string) => [
        <Resource key="customers" name="customers" list={CustomerList} show={CustomerShow} />,
        <Resource key="transactions" name="transactions" list={TransactionList} show={TransactionShow} />,
        <Resource key="attention" name="attention" options={{ label: 'Reconciliation queue' }} list={AttentionList} />,
        ...(role === 'finance' || role === 'admin'
          ? [<Resource key="approvals" name="approvals" options={{ label: 'Approvals' }} list={ApprovalList} />]
          : []),
        ...(role === 'admin' ? [<Resource key="audit" name="audit" options={{ label: 'Audit trail' }} list={AuditList} />] : []),
        ...(role === 'admin' || role === 'support'
          ? [<Resource key="webhooks" name="webhooks" options={{ label: 'Webhooks' }} list={WebhookList} show={WebhookShow} />]
          : []),
        ...(role === 'admin'
          ? [
              <Resource key="service-clients" name="service-clients" options={{ label: 'Service clients' }} list={ServiceClientList} />,
              <Resource key="staff" name="staff" options={{ label: 'Staff and roles' }} list={StaffList} />,
            ]
          : []),
      ]}
    </Admin>
  );
}

const root = document.getElementById('root');
if (root) createRoot(root).render(<Console />);
