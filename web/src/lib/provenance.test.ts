import { describe, expect, it } from "vitest";
import { commandText, commitUrl, parseRemote, readProvenance } from "./provenance";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("commitUrl", () => {
  it("links a commit on GitHub and GitLab whatever the remote's form", () => {
    expect(commitUrl("git@github.com:acme/models.git", SHA)).toBe(`https://github.com/acme/models/commit/${SHA}`);
    expect(commitUrl("https://github.com/acme/models.git", SHA)).toBe(`https://github.com/acme/models/commit/${SHA}`);
    expect(commitUrl("ssh://git@gitlab.com/group/sub/models.git", SHA)).toBe(`https://gitlab.com/group/sub/models/-/commit/${SHA}`);
  });

  it("gives no link for unknown hosts, local paths or odd commits", () => {
    expect(commitUrl("git@git.internal:acme/models.git", SHA)).toBeNull();
    expect(commitUrl("/srv/git/models.git", SHA)).toBeNull();
    expect(commitUrl("https://github.com/acme/models.git", "HEAD; rm")).toBeNull();
    expect(commitUrl("javascript:alert(1)//github.com/a/b", SHA)).toBeNull();
    expect(commitUrl(undefined, SHA)).toBeNull();
  });
});

describe("parseRemote", () => {
  it("reads host and repository", () => {
    expect(parseRemote("https://gitlab.com/a/b/")).toEqual({ host: "gitlab.com", repository: "a/b" });
  });
});

describe("readProvenance", () => {
  it("keeps the keys of the expected types and drops the rest", () => {
    const read = readProvenance({ host: "box", user: 3, git: { commit: SHA, dirty: true, diff: { file: "provenance/git_diff", truncated: false } }, gpu: { count: 2, models: ["A100", 5] } });
    expect(read?.host).toBe("box");
    expect(read?.user).toBeUndefined();
    expect(read?.git?.dirty).toBe(true);
    expect(read?.git?.diff?.file).toBe("provenance/git_diff");
    expect(read?.gpu?.models).toEqual(["A100"]);
    expect(readProvenance(null)).toBeNull();
    expect(readProvenance({})).toBeNull();
  });
});

describe("commandText", () => {
  it("quotes arguments that need it", () => {
    expect(commandText(["train.py", "--lr=0.1", "--name", "a b"])).toBe("train.py --lr=0.1 --name 'a b'");
  });
});
