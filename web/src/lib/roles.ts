// Who may do what to whom in a workspace (mirrors the API's rules, to show only useful controls).
import type { Role } from "../types";

export function canManage(role: Role | undefined): boolean {
  return role === "owner" || role === "admin";
}

/** Rename or describe the workspace: owners only. */
export function canEditWorkspace(role: Role | undefined): boolean {
  return role === "owner";
}

/** Change the role of, or remove, a member with `target` role: admins and owners; only owners touch owners. */
export function canChangeMember(mine: Role | undefined, target: Role): boolean {
  if (mine === "owner") return true;
  if (mine === "admin") return target !== "owner";
  return false;
}

/** The roles `mine` may give: owners any, admins all but owner. */
export function roleChoices(mine: Role | undefined): Role[] {
  if (mine === "owner") return ["owner", "admin", "member", "viewer"];
  if (mine === "admin") return ["admin", "member", "viewer"];
  return [];
}
