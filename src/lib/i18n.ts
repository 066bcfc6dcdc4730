import type { ClientErrorStatusCode, ServerErrorStatusCode } from "hono/utils/http-status";

export const LANGUAGES = ["en", "tr"] as const;
export type Language = (typeof LANGUAGES)[number];

export type ErrorStatus = ClientErrorStatusCode | ServerErrorStatusCode;

// The generic messages of each error status: errors[0] of every error envelope.
const en = {
  "status.400": "Validation failed",
  "status.401": "Authentication required",
  "status.403": "Insufficient permissions",
  "status.404": "Resource not found",
  "status.409": "Resource already exists or cannot be changed in its current state",
  "status.413": "Payload too large",
  "status.415": "Unsupported media type",
  "status.429": "Too many requests",
  "status.500": "Internal server error",
  "request.malformedJson": "body: must be valid JSON",
  "request.unknownField": "is not an accepted field",
  "header.timezone": "must be UTC or an offset from UTC-12:00 to UTC+14:00",
  "header.platform": "must be one of web, mobile_ios, mobile_android, admin, api, unknown, all",
  "header.appVersion": "must look like 1.4.2 (1 to 3 numbers, optional -suffix, at most 32 characters)",
  "header.deviceId": "must be 1 to 128 printable ASCII characters",
};

export type MessageKey = keyof typeof en;

// A missing or extra Turkish key is a type error.
const tr: Record<MessageKey, string> = {
  "status.400": "Doğrulama başarısız",
  "status.401": "Kimlik doğrulaması gerekli",
  "status.403": "Yetersiz yetki",
  "status.404": "Kaynak bulunamadı",
  "status.409": "Kaynak zaten mevcut veya mevcut durumunda değiştirilemez",
  "status.413": "İstek gövdesi çok büyük",
  "status.415": "Desteklenmeyen medya türü",
  "status.429": "Çok fazla istek",
  "status.500": "Sunucu hatası",
  "request.malformedJson": "body: geçerli bir JSON olmalı",
  "request.unknownField": "kabul edilen bir alan değil",
  "header.timezone": "UTC veya UTC-12:00 ile UTC+14:00 arasında bir fark olmalı",
  "header.platform": "web, mobile_ios, mobile_android, admin, api, unknown, all değerlerinden biri olmalı",
  "header.appVersion": "1.4.2 biçiminde olmalı (1 ile 3 sayı, isteğe bağlı -ek, en fazla 32 karakter)",
  "header.deviceId": "1 ile 128 arasında yazdırılabilir ASCII karakter olmalı",
};

const catalog: Record<Language, Record<MessageKey, string>> = { en, tr };

export function isMessageKey(value: string): value is MessageKey {
  return Object.hasOwn(en, value);
}

/** A catalog message with `{name}` placeholders filled in. */
export function t(language: Language, key: MessageKey, params?: Record<string, string | number>): string {
  const template = catalog[language][key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => String(params[name] ?? whole));
}

export function statusMessage(language: Language, status: ErrorStatus): string {
  const key = `status.${status}`;
  return isMessageKey(key) ? t(language, key) : t(language, status >= 500 ? "status.500" : "status.400");
}
