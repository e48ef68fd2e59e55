import { describe, expect, it } from "vitest";
import { canChangeMember, canEditWorkspace, canManage, roleChoices } from "./roles";

describe("workspace roles", () => {
  it("lets owners and admins manage, and only owners edit the workspace", () => {
    expect([canManage("owner"), canManage("admin"), canManage("member"), canManage("viewer"), canManage(undefined)]).toEqual([true, true, false, false, false]);
    expect([canEditWorkspace("owner"), canEditWorkspace("admin")]).toEqual([true, false]);
  });

  it("keeps owners out of admins' reach", () => {
    expect(canChangeMember("owner", "owner")).toBe(true);
    expect(canChangeMember("admin", "owner")).toBe(false);
    expect(canChangeMember("admin", "admin")).toBe(true);
    expect(canChangeMember("admin", "viewer")).toBe(true);
    expect(canChangeMember("member", "viewer")).toBe(false);
    expect(canChangeMember("viewer", "member")).toBe(false);
  });

  it("offers the owner role to owners only", () => {
    expect(roleChoices("owner")).toContain("owner");
    expect(roleChoices("admin")).toEqual(["admin", "member", "viewer"]);
    expect(roleChoices("member")).toEqual([]);
  });
});
