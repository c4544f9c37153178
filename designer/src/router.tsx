import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** A page may refuse to be left (unsaved changes); it answers true to stay. */
let leaveGuard: (() => boolean) | undefined;
export const setLeaveGuard = (guard: (() => boolean) | undefined) => { leaveGuard = guard; };

export function navigate(to: string, replace = false) {
  if (leaveGuard?.()) return;
  if (replace) history.replaceState(null, '', to); else history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useLocation() {
  const [location, setLocation] = useState(() => ({ path: window.location.pathname, search: window.location.search }));
  useEffect(() => {
    const update = () => setLocation({ path: window.location.pathname, search: window.location.search });
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return location;
}

export function Link({ to, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={click} {...rest} />;
}
