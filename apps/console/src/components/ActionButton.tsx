import {
  Alert,
  Button,
  Group,
  Modal,
  Stack,
  Text,
  TextInput,
  Textarea,
  type ButtonProps,
} from '@mantine/core';
import { useState } from 'react';
import { newIdempotencyKey, useApiMutation } from '../api';
import { parseMajor } from '../money';

export interface ActionField {
  /** The body field the value goes into. */
  name: string;
  label: string;
  /** `reason` fields are required free text; `amount` is typed in major units and sent as minor units. */
  kind: 'reason' | 'amount' | 'text';
  required?: boolean;
  description?: string;
  currency?: string;
}

export interface ActionButtonProps {
  label: string;
  title: string;
  /** What will happen, in one or two sentences, shown before confirming. */
  description: string;
  path: string;
  method?: 'POST' | 'PUT' | 'DELETE';
  fields?: ActionField[];
  /** Static body fields sent as they are. */
  body?: Record<string, unknown>;
  color?: ButtonProps['color'];
  /** Adjusts the body before sending (e.g. a number field); throw an Error to refuse with its message. */
  transform?: (body: Record<string, unknown>) => Record<string, unknown>;
  /** Send the fields as the query string (routes that take their input there) instead of a body. */
  asQuery?: boolean;
  onDone?: (result: unknown) => void;
}

/**
 * Attributes for every dialog's parts (axe-core, with a dialog open): the close button is named, and
 * the dialog's <header> is not a second banner landmark beside the page's own.
 */
export const DIALOG_ATTRIBUTES = {
  close: { 'aria-label': 'Close' },
  header: { role: 'none' },
} as const;

/**
 * A staff action: a button that opens a confirmation with the reason (and amount) the API asks for;
 * the request carries an Idempotency-Key made when the dialog opened, so a double submit or a retry
 * after a lost answer cannot act twice.
 */
export function ActionButton(props: ActionButtonProps) {
  const [opened, setOpened] = useState(false);
  const [key, setKey] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [invalid, setInvalid] = useState<string | null>(null);
  const mutation = useApiMutation<unknown>();

  const open = () => {
    setKey(newIdempotencyKey());
    setValues({});
    setInvalid(null);
    mutation.reset();
    setOpened(true);
  };

  const submit = () => {
    const body: Record<string, unknown> = { ...props.body };
    for (const field of props.fields ?? []) {
      const value = (values[field.name] ?? '').trim();
      if (!value) {
        if (field.required ?? field.kind === 'reason') {
          setInvalid(`${field.label} is required.`);
          return;
        }
        continue;
      }
      if (field.kind === 'amount') {
        const parsed = parseMajor(value, field.currency ?? 'USD');
        if ('error' in parsed) {
          setInvalid(`${field.label}: ${parsed.error}`);
          return;
        }
        body[field.name] = parsed.minor;
      } else {
        body[field.name] = value;
      }
    }
    setInvalid(null);
    let sent = body;
    try {
      if (props.transform) sent = props.transform(body);
    } catch (error) {
      setInvalid(error instanceof Error ? error.message : String(error));
      return;
    }
    const query = props.asQuery
      ? `?${new URLSearchParams(Object.entries(sent).map(([name, value]) => [name, String(value)])).toString()}`
      : '';
    mutation.mutate(
      {
        path: `${props.path}${query}`,
        method: props.method ?? 'POST',
        body: props.asQuery ? undefined : Object.keys(sent).length > 0 || props.fields ? sent : undefined,
        idempotencyKey: key,
      },
      {
        onSuccess: (result) => {
          setOpened(false);
          props.onDone?.(result);
        },
      },
    );
  };

  return (
    <>
      <Button size="xs" variant="light" color={props.color} onClick={open}>
        {props.label}
      </Button>
      <Modal
        opened={opened}
        onClose={() => setOpened(false)}
        title={props.title}
        centered
        attributes={DIALOG_ATTRIBUTES}
      >
        <form
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          <Stack gap="sm">
            <Text size="sm">{props.description}</Text>
            {(props.fields ?? []).map((field) =>
              field.kind === 'reason' ? (
                <Textarea
                  key={field.name}
                  label={field.label}
                  description={field.description}
                  required={field.required ?? true}
                  autosize
                  minRows={2}
                  value={values[field.name] ?? ''}
                  onChange={(event) => setValues({ ...values, [field.name]: event.currentTarget.value })}
                />
              ) : (
                <TextInput
                  key={field.name}
                  label={field.label}
                  description={field.description}
                  required={field.required ?? false}
                  inputMode={field.kind === 'amount' ? 'decimal' : undefined}
                  value={values[field.name] ?? ''}
                  onChange={(event) => setValues({ ...values, [field.name]: event.currentTarget.value })}
                />
              ),
            )}
            {invalid && (
              <Alert color="red" role="alert">
                {invalid}
              </Alert>
            )}
            {mutation.error && (
              <Alert color="red" role="alert" title="The API refused">
                {mutation.error.message}
              </Alert>
            )}
            <Text size="xs" c="dimmed">
              Idempotency key: {key}
            </Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setOpened(false)}>
                Cancel
              </Button>
              <Button type="submit" color={props.color} loading={mutation.isPending}>
                Confirm
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
