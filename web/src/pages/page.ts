// What a page is to the router, and the links between pages (hash routes).

export interface Page {
  /** For the document title. */
  title: string;
  /** Stops timers, live subscriptions and requests, and frees the charts. */
  destroy(): void;
}

export function processHref(pid: number): string {
  return `#/process/${pid}`;
}

export function cgroupHref(path: string): string {
  return `#/cgroup/${encodeURIComponent(path)}`;
}
