import { describe, expect, it } from "vitest";
import { answerBody, invitationIdOfToken } from "./invitation_link";

const ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
const TOKEN = `wdi_${ID.replaceAll("-", "")}_${"a".repeat(43)}`;

describe("invitation links", () => {
  it("finds the invitation a mailed token opens", () => {
    expect(invitationIdOfToken(TOKEN)).toBe(ID);
    expect([invitationIdOfToken(null), invitationIdOfToken(""), invitationIdOfToken("wdc_" + TOKEN.slice(4))]).toEqual([null, null, null]);
    expect(invitationIdOfToken(`${TOKEN}x`)).toBeNull();
  });

  it("sends the token only with the answer to its own invitation", () => {
    expect(answerBody(ID, TOKEN)).toEqual({ token: TOKEN });
    expect(answerBody("9c5b94b1-35ad-49bb-b118-8e8fc24abf80", TOKEN)).toBeUndefined();
    expect(answerBody(ID, null)).toBeUndefined();
  });
});
