import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { Layout } from './Layout';
import { Books } from './pages/Books';
import { Collections } from './pages/Collections';
import { Customer360Page } from './pages/Customer360';
import { Customers } from './pages/Customers';
import { Integrations } from './pages/Integrations';
import { Payouts } from './pages/Payouts';
import { Reports } from './pages/Reports';
import { SignIn } from './pages/SignIn';
import { StripeEvents } from './pages/StripeEvents';
import { can } from './permissions';
import { useSession } from './session';

export function App() {
  const { session } = useSession();
  if (!session) return <SignIn />;
  const home = can(session.roles, 'customers.read') ? '/customers' : '/integrations';
  return (
    <BrowserRouter basename="/console">
      <Routes>
        <Route element={<Layout />}>
          <Route index element={<Navigate to={home} replace />} />
          <Route path="customers" element={<Customers />} />
          <Route path="customers/:id" element={<Customer360Page />} />
          <Route path="payouts" element={<Payouts />} />
          <Route path="collections" element={<Collections />} />
          <Route path="stripe-events" element={<StripeEvents />} />
          <Route path="reports" element={<Reports />} />
          <Route path="books" element={<Books />} />
          <Route path="integrations" element={<Integrations />} />
          <Route path="*" element={<Navigate to={home} replace />} />
        </Route>
      </Routes>
    </BrowserRouter>
  );
}
