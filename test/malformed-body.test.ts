import { describe, expect, it } from "vitest";
import { call, createUser, tokenFor } from "./helpers";

describe("a body that cannot be parsed", () => {
  it("is a 400 naming the body, for JSON", async () => {
    const token = await tokenFor((await createUser()).id);
    const { status, body } = await call("/api/v1/users/profile", {
      method: "PUT",
      token,
      headers: { "content-type": "application/json" },
      body: '{"name": "A",',
    });
    expect(status).toBe(400);
    expect(body.errors).toEqual(["Validation failed", "body: must be valid JSON"]);
  });

  it("is a 400 naming the body, for multipart, in Turkish too", async () => {
    const token = await tokenFor((await createUser()).id);
    const { status, body } = await call("/api/v1/users/profile/photo", {
      method: "PATCH",
      token,
      headers: { "content-type": "multipart/form-data; boundary=abc", "accept-language": "tr" },
      body: '--abc\r\nContent-Disposition: form-data; name="file"; filename="a\u0000.jpg"\r\n\r\nxx\r\n--abc--\r\n',
    });
    expect(status).toBe(400);
    expect(body.errors).toEqual(["Doğrulama başarısız", "body: geçerli bir multipart/form-data olmalı"]);
  });
});
