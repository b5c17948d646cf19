/**
 * Screens as hash URLs (`#/client/ID/risk`), so Back and Forward work and a
 * screen can be linked in tests. Pure: parse and format only.
 */

/** Tabs of the client screen. */
export const CLIENT_TABS = ["overview", "risk", "plan", "contacts", "history"] as const;

/** One of {@link CLIENT_TABS}. */
export type ClientTab = (typeof CLIENT_TABS)[number];

/** Where the worker is. */
export type Route =
  | { name: "caseload" }
  | { name: "new-client" }
  | { name: "client"; id: string; tab: ClientTab }
  | { name: "count"; id: string | null }
  | { name: "sync" }
  | { name: "reports" }
  | { name: "settings" };

/** Parse a location hash; anything unknown is the caseload. */
export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/u, "").split("/").filter((p) => p !== "").map(decodeURIComponent);
  const [head, a, b] = parts;
  switch (head) {
    case "new-client":
      return { name: "new-client" };
    case "client":
      if (a !== undefined && a !== "") {
        const tab = (CLIENT_TABS as readonly string[]).includes(b ?? "") ? (b as ClientTab) : "overview";
        return { name: "client", id: a, tab };
      }
      return { name: "caseload" };
    case "count":
      return { name: "count", id: a ?? null };
    case "sync":
      return { name: "sync" };
    case "reports":
      return { name: "reports" };
    case "settings":
      return { name: "settings" };
    default:
      return { name: "caseload" };
  }
}

/** The hash for a route. */
export function formatRoute(route: Route): string {
  switch (route.name) {
    case "client":
      return `#/client/${encodeURIComponent(route.id)}/${route.tab}`;
    case "count":
      return route.id === null ? "#/count" : `#/count/${encodeURIComponent(route.id)}`;
    default:
      return `#/${route.name}`;
  }
}
