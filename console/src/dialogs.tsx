import { Button, Dialog, DialogActions, DialogContent, DialogTitle, MenuItem, TextField } from '@mui/material';
import { useState } from 'react';

export interface Field {
  name: string;
  label: string;
  type?: 'text' | 'number';
  options?: string[];
  initial?: string;
}

/** A small form in a dialog: the fields, and a submit that may fail (the dialog stays open then). */
export function FormDialog(props: {
  title: string;
  submitLabel: string;
  fields: Field[];
  open: boolean;
  onClose: () => void;
  onSubmit: (values: Record<string, string>) => Promise<void>;
}) {
  const initial = Object.fromEntries(props.fields.map((f) => [f.name, f.initial ?? '']));
  const [values, setValues] = useState<Record<string, string>>(initial);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    try {
      await props.onSubmit(values);
      setValues(initial);
      props.onClose();
    } catch {
      // The caller has told the person why.
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={props.open} onClose={props.onClose} fullWidth maxWidth="sm">
      <DialogTitle>{props.title}</DialogTitle>
      <DialogContent>
        {props.fields.map((f) => (
          <TextField
            key={f.name}
            name={f.name}
            label={f.label}
            type={f.type ?? 'text'}
            select={f.options !== undefined}
            value={values[f.name] ?? ''}
            onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
            fullWidth
            margin="dense"
            slotProps={{ htmlInput: { 'data-testid': `field-${f.name}` } }}
          >
            {f.options?.map((o) => (
              <MenuItem key={o} value={o}>
                {o}
              </MenuItem>
            ))}
          </TextField>
        ))}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button variant="contained" disabled={busy} onClick={() => void submit()}>
          {props.submitLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
