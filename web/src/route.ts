// The dashboard's hash routes: "#/" (the overview), "#/process/PID" and "#/cgroup/PATH" (the
// path %-encoded as one component, see pages/page.ts). Anything else, including a %-escape that
// does not decode (decodeURIComponent throws URIError on "%E0%A4%A"), is not found.

export type Route =
  | { page: 'overview' }
  | { page: 'process'; pid: number }
  | { page: 'cgroup'; path: string }
  | { page: 'not-found'; hash: string };

function decoded(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** The route of `location.hash` (with or without its "#"). */
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const notFound: Route = { page: 'not-found', hash: raw };
  if (raw === '' || raw === '/') return { page: 'overview' };
  const proc = /^\/process\/(\d{1,7})\/?$/.exec(raw);
  if (proc) return { page: 'process', pid: Number(proc[1]) };
  const cg = /^\/cgroup\/(.+)$/.exec(raw);
  if (cg) {
    const path = decoded(cg[1] as string);
    return path === null ? notFound : { page: 'cgroup', path };
  }
  return notFound;
}
