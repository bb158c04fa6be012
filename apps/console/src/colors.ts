/** Badge colours dark enough for white text to pass WCAG AA (4.5:1) at badge size. */
export const COLORS = {
  danger: '#a61e1e',
  warning: '#8f3300',
  ok: '#1d6630',
  info: '#5a2ca0',
} as const;
