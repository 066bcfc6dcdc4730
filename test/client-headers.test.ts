import { describe, expect, it } from "vitest";
import { type Language, statusMessage, t } from "../src/lib/i18n";
import { call, createUser, tokenFor } from "./helpers";

// The contract's table of client headers, each rule against the public health route (and the
// authenticated profile route, to show a bad header is a 400 before any token check).

const MESSAGES = {
  en: {
    "x-timezone": "x-timezone: must be UTC or an offset from UTC-12:00 to UTC+14:00",
    "x-platform": "x-platform: must be one of web, mobile_ios, mobile_android, admin, api, unknown, all",
    "x-app-version": `x-app-version: ${t("en", "header.appVersion")}`,
    "x-device-id": "x-device-id: must be 1 to 128 printable ASCII characters",
  },
  tr: {
    "x-timezone": "x-timezone: UTC veya UTC-12:00 ile UTC+14:00 arasında bir fark olmalı",
    "x-platform":
      "x-platform: web, mobile_ios, mobile_android, admin, api, unknown, all değerlerinden biri olmalı",
    "x-app-version": `x-app-version: ${t("tr", "header.appVersion")}`,
    "x-device-id": "x-device-id: 1 ile 128 arasında yazdırılabilir ASCII karakter olmalı",
  },
} as const;

type HeaderName = keyof (typeof MESSAGES)["en"];

async function expectAccepted(header: HeaderName, value: string) {
  const { status, body } = await call("/api/v1/health", { headers: { [header]: value } });
  expect(status, `${header}: ${JSON.stringify(value)}`).toBe(200);
  expect(body.isSuccess).toBe(true);
}

async function expectRefused(header: HeaderName, value: string, language: Language = "en") {
  const { status, body } = await call("/api/v1/health", {
    headers: { [header]: value, "accept-language": language },
  });
  expect(status, `${header}: ${JSON.stringify(value)}`).toBe(400);
  expect(body.isSuccess).toBe(false);
  expect(body.errors).toEqual([statusMessage(language, 400), MESSAGES[language][header]]);
}

describe("X-Timezone", () => {
  it.each(["UTC", "UTC+03:00", "UTC-08:00", "UTC+05:45", "UTC-12:00", "UTC+14:00"])("accepts %s", (value) =>
    expectAccepted("x-timezone", value),
  );

  it.each(["UTC+3", "Europe/Istanbul", "UTC+15:00", "UTC-13:00", "UTC+03:15", "utc", "GMT+03:00", "+03:00"])(
    "refuses %s with a message naming x-timezone",
    (value) => expectRefused("x-timezone", value),
  );
});

describe("X-Platform", () => {
  it.each(["web", "mobile_ios", "mobile_android", "admin", "api", "unknown", "all"])("accepts %s", (value) =>
    expectAccepted("x-platform", value),
  );

  it.each(["ios", "android", "WEB", "web,admin"])("refuses %s", (value) =>
    expectRefused("x-platform", value),
  );
});

// Numbers, -alpha/-beta/-rc and +build only: the value outlives the account in audit rows.
describe("X-App-Version", () => {
  it.each([
    "1",
    "1.4",
    "1.4.2",
    "1.2.3.4",
    "1.4.2-alpha",
    "1.4.2-beta.1",
    "2.0.0-rc.12",
    "1.4.2+815",
    "2.0.0-rc+20261205",
    "99999.99999.99999.99999-alpha.99999+9999999999",
  ])("accepts %s", (value) => expectAccepted("x-app-version", value));

  describe.each(["en", "tr"] as const)("refuses, in %s", (language) => {
    it.each([
      ["a free-text suffix that could name someone", "1-john.doe"],
      ["any other pre-release word", "10.20.30-rc-1"],
      ["a capitalized pre-release word", "1.4.2-Beta"],
      ["two pre-release numbers", "1.4.2-beta.1.2"],
      ["five numbers", "1.2.3.4.5"],
      ["a number of six digits", "123456.1"],
      ["an empty build number", "1.4.2+"],
      ["a build that is not a number", "1.4.2+exp.sha.5114f85"],
      ["a leading v", "v1.2"],
      ["a trailing dot", "1."],
      ["a leading dot", ".1"],
      ["an empty number", "1..2"],
      ["a bare hyphen", "1.4.2-"],
      ["a space", "1.4.2 beta"],
      ["a word", "latest"],
    ])("%s (%s)", (_why, value) => expectRefused("x-app-version", value, language));
  });
});

describe("X-Device-Id", () => {
  const printable = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i))
    .join("")
    .trim();

  it.each([
    ["one character", "a"],
    ["128 characters", "d".repeat(128)],
    ["every printable ASCII character", printable],
  ])("accepts %s", (_name, value) => expectAccepted("x-device-id", value));

  it.each([
    ["129 characters", "d".repeat(129)],
    // Headers accepts Latin-1 code units; é (0xE9) is not ASCII.
    ["a non-ASCII character", "device-é-1"],
    ["a tab inside", "device\tid"],
    ["DEL (0x7F)", "device\u007fid"],
  ])("refuses %s", (_name, value) => expectRefused("x-device-id", value));
});

describe("absent or empty headers take their defaults", () => {
  it("no client headers at all is fine", async () => {
    const { status } = await call("/api/v1/health");
    expect(status).toBe(200);
  });

  it("empty values count as absent", async () => {
    const { status } = await call("/api/v1/health", {
      headers: { "X-Timezone": "", "X-Platform": "", "X-App-Version": "", "X-Device-Id": "" },
    });
    expect(status).toBe(200);
  });
});

describe("messages", () => {
  it("one message per bad header, after the generic one, in English", async () => {
    const { status, body } = await call("/api/v1/health", {
      headers: { "X-Timezone": "UTC+3", "X-Platform": "ios", "X-App-Version": "v1", "X-Device-Id": "é" },
    });
    expect(status).toBe(400);
    expect(body.errors[0]).toBe("Validation failed");
    expect(body.errors.slice(1).sort()).toEqual(Object.values(MESSAGES.en).sort());
  });

  it("the same messages in Turkish", async () => {
    const { response, status, body } = await call("/api/v1/health", {
      headers: {
        "Accept-Language": "tr-TR,tr;q=0.9",
        "X-Timezone": "UTC+3",
        "X-Platform": "ios",
        "X-App-Version": "v1",
        "X-Device-Id": "é",
      },
    });
    expect(status).toBe(400);
    expect(response.headers.get("content-language")).toBe("tr");
    expect(body.errors[0]).toBe("Doğrulama başarısız");
    expect(body.errors.slice(1).sort()).toEqual(Object.values(MESSAGES.tr).sort());
  });

  it("the bad value is not echoed back", async () => {
    const { body } = await call("/api/v1/health", { headers: { "X-Platform": "zzz-not-a-platform" } });
    expect(JSON.stringify(body)).not.toContain("zzz-not-a-platform");
  });
});

describe("bad headers are a 400 before authentication", () => {
  it("without a token", async () => {
    const { status, body } = await call("/api/v1/users/me", { headers: { "X-Timezone": "Europe/Istanbul" } });
    expect(status).toBe(400);
    expect(body.errors).toEqual(["Validation failed", MESSAGES.en["x-timezone"]]);
  });

  it("with a good token too", async () => {
    const user = await createUser();
    const { status } = await call("/api/v1/users/me", {
      token: await tokenFor(user.id),
      headers: { "X-Platform": "ios" },
    });
    expect(status).toBe(400);
  });

  it("and good headers with a good token pass", async () => {
    const user = await createUser();
    const { status } = await call("/api/v1/users/me", {
      token: await tokenFor(user.id),
      headers: {
        "X-Timezone": "UTC+05:45",
        "X-Platform": "mobile_ios",
        "X-App-Version": "1.4.2",
        "X-Device-Id": "d-1",
      },
    });
    expect(status).toBe(200);
  });
});
