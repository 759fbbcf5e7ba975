import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { StatusBadge, statusTone } from './StatusBadge';

describe('StatusBadge', () => {
  it('shows the API’s word for the status, coloured by its meaning', () => {
    render(<StatusBadge status="dead" />);
    const badge = screen.getByTestId('status-badge');
    expect(badge.textContent).toBe('dead');
    expect(badge.className).toContain('badge-danger');
  });

  it('gives each job status its own tone, and an unknown one a neutral tone', () => {
    expect(statusTone('pending')).toBe('info');
    expect(statusTone('running')).toBe('progress');
    expect(statusTone('completed')).toBe('success');
    expect(statusTone('failed')).toBe('warning');
    expect(statusTone('dead')).toBe('danger');
    expect(statusTone('cancelled')).toBe('muted');
    expect(statusTone('exploded')).toBe('neutral');
  });
});
