import { describe, expect, it } from "vitest";
import { formatRoute, parseRoute, type Route } from "./route";

describe("routes", () => {
  it("round-trips every screen", () => {
    const routes: Route[] = [
      { name: "caseload" },
      { name: "new-client" },
      { name: "client", id: "abc-123", tab: "risk" },
      { name: "count", id: null },
      { name: "count", id: "c1" },
      { name: "sync" },
      { name: "reports" },
      { name: "settings" },
    ];
    for (const r of routes) expect(parseRoute(formatRoute(r))).toEqual(r);
  });

  it("falls back to the caseload and the overview tab", () => {
    expect(parseRoute("")).toEqual({ name: "caseload" });
    expect(parseRoute("#/nowhere")).toEqual({ name: "caseload" });
    expect(parseRoute("#/client")).toEqual({ name: "caseload" });
    expect(parseRoute("#/client/x/bogus")).toEqual({ name: "client", id: "x", tab: "overview" });
  });
});
