import { useMutation, useQueryClient, type QueryKey } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Dialog } from './Dialog';
import { ErrorAlert } from './States';

interface DeleteDialogProps {
  title: string;
  /** What is deleted and what follows from it, in the dialog's words. */
  children: ReactNode;
  /** The DELETE request. */
  remove: () => Promise<unknown>;
  /** The list the deleted thing leaves: refetched once it is gone. */
  invalidates: QueryKey;
  confirmLabel?: string;
  onClose: () => void;
  /** After the deletion (the default closes the dialog). */
  onDeleted?: () => void;
}

/** "Delete X?" with Keep it / Delete: the request, its error in the dialog, and the list refetched on success. */
export function DeleteDialog({ title, children, remove, invalidates, confirmLabel = 'Delete', onClose, onDeleted = onClose }: DeleteDialogProps) {
  const queryClient = useQueryClient();
  const mutation = useMutation({
    mutationFn: remove,
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: invalidates });
      onDeleted();
    },
  });
  return (
    <Dialog title={title} onClose={onClose}>
      <p>{children}</p>
      {mutation.isError && <ErrorAlert error={mutation.error} />}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Keep it
        </button>
        <button type="button" className="button button-danger" disabled={mutation.isPending} onClick={() => mutation.mutate()}>
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
