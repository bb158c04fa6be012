import { COLORS } from './colors';
import { AppShell, Badge, Button, Group, NavLink, Stack, Text, Title } from '@mantine/core';
import { NavLink as RouterLink, Outlet, useLocation } from 'react-router';
import { can, type Permission } from './permissions';
import { useSession, useSignedIn } from './session';

const PAGES: Array<{ to: string; label: string; permission: Permission }> = [
  { to: '/customers', label: 'Customers', permission: 'customers.read' },
  { to: '/payouts', label: 'Payouts', permission: 'payouts.review' },
  { to: '/collections', label: 'Dunning & billing runs', permission: 'billingRuns.read' },
  { to: '/stripe-events', label: 'Stripe events', permission: 'stripeEvents.replay' },
  { to: '/reports', label: 'Reports', permission: 'reports.read' },
  { to: '/books', label: 'Deferred revenue & reconciliation', permission: 'reports.read' },
  { to: '/integrations', label: 'API keys & webhooks', permission: 'apiKeys.manage' },
];

export function Layout() {
  const session = useSignedIn();
  const { signOut } = useSession();
  const location = useLocation();
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm' }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="xs">
            <Title order={1} size="h4">
              Astrix console
            </Title>
            {session.sandbox && (
              <Badge color={COLORS.warning} variant="filled">
                sandbox token
              </Badge>
            )}
          </Group>
          <Group gap="xs">
            <Text size="sm" aria-label="Signed in as">
              {session.sub} · {session.roles.join(', ')}
            </Text>
            <Button size="xs" variant="default" onClick={signOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Console pages">
        <Stack gap={2}>
          {PAGES.filter((page) => can(session.roles, page.permission)).map((page) => (
            <NavLink
              key={page.to}
              component={RouterLink}
              to={page.to}
              label={page.label}
              active={location.pathname.startsWith(page.to)}
              variant="filled"
            />
          ))}
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main component="main">
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
