import { COLORS } from '../colors';
import {
  Alert,
  Badge,
  Button,
  Container,
  Divider,
  NativeSelect,
  Paper,
  Stack,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { apiRequest } from '../api';
import { STAFF_ROLES, type StaffRole } from '../permissions';
import { sessionFromToken, useSession } from '../session';

interface DevTokenAvailability {
  available: boolean;
  roles: StaffRole[];
}

/**
 * Sign-in: paste a staff JWT from the identity service; in the sandbox (the API's dev opt-in) also
 * mint a dev token for a chosen role. Outside the sandbox the API answers 404 and that part hides.
 */
export function SignIn() {
  const { signIn } = useSession();
  const [role, setRole] = useState<StaffRole>('support');
  const [sub, setSub] = useState('');
  const [jwt, setJwt] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const sandbox = useQuery({
    queryKey: ['dev-token-availability'],
    queryFn: () => apiRequest<DevTokenAvailability>(null, '/v1/auth/dev-token'),
    retry: false,
  });

  const mint = async () => {
    setBusy(true);
    setError(null);
    try {
      const minted = await apiRequest<{ token: string }>(null, '/v1/auth/dev-token', {
        method: 'POST',
        body: { role, ...(sub.trim() ? { sub: sub.trim() } : {}) },
      });
      signIn(sessionFromToken(minted.token, true));
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };

  const paste = () => {
    try {
      signIn(sessionFromToken(jwt, false));
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };

  return (
    <Container size={480} py="xl" component="main">
      <Title order={1} mb="md">
        Astrix console
      </Title>
      <Paper withBorder p="lg" radius="md">
        <Stack>
          {sandbox.data?.available && (
            <form
              aria-labelledby="sandbox-heading"
              onSubmit={(event) => {
                event.preventDefault();
                void mint();
              }}
            >
              <Stack gap="sm">
                <Title order={2} size="h4" id="sandbox-heading">
                  Sandbox sign-in{' '}
                  <Badge color={COLORS.warning} variant="filled">
                    sandbox only
                  </Badge>
                </Title>
                <Text size="sm">
                  This API runs with the development opt-in: it mints a staff token for the role you pick. A
                  production API refuses this.
                </Text>
                <NativeSelect
                  label="Role"
                  data={[...STAFF_ROLES]}
                  value={role}
                  onChange={(event) => setRole(event.currentTarget.value as StaffRole)}
                />
                <TextInput
                  label="User id"
                  description="Two finance users need two ids for four-eyes approval (default: <role>_dev)"
                  value={sub}
                  onChange={(event) => setSub(event.currentTarget.value)}
                />
                <Button type="submit" color={COLORS.warning} loading={busy}>
                  Sign in with a sandbox token
                </Button>
              </Stack>
            </form>
          )}
          {sandbox.data?.available && <Divider label="or" labelPosition="center" />}
          <form
            aria-labelledby="jwt-heading"
            onSubmit={(event) => {
              event.preventDefault();
              paste();
            }}
          >
            <Stack gap="sm">
              <Title order={2} size="h4" id="jwt-heading">
                Sign in with your staff token
              </Title>
              <Textarea
                label="JWT from the identity service"
                description="Kept in this tab only (session storage); the API checks it on every request."
                autosize
                minRows={3}
                value={jwt}
                onChange={(event) => setJwt(event.currentTarget.value)}
              />
              <Button type="submit" disabled={!jwt.trim()}>
                Sign in
              </Button>
            </Stack>
          </form>
          {error && (
            <Alert color="red" role="alert" title="Not signed in">
              {error}
            </Alert>
          )}
        </Stack>
      </Paper>
    </Container>
  );
}
