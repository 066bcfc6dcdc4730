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
  "request.malformedForm": "body: must be valid multipart/form-data",
  "request.unknownField": "is not an accepted field",
  "header.timezone": "must be UTC or an offset from UTC-12:00 to UTC+14:00",
  "header.platform": "must be one of web, mobile_ios, mobile_android, admin, api, unknown, all",
  "header.appVersion": "must look like 1.4.2 (1 to 3 numbers, optional -suffix, at most 32 characters)",
  "header.deviceId": "must be 1 to 128 printable ASCII characters",
  "header.bookmark": "must be the X-D1-Bookmark value of an earlier response",
  "account.locked": "The account is pending deletion until {until}; cancel the deletion to change it",
  "text.controlCharacters": "must not contain control or bidirectional-override characters",
  "profile.handle": "must be letters, digits, . or _ (at most 30 characters)",
  "profile.facebook": "must be letters, digits, . or _ (at most 50 characters)",
  "profile.countryCode": "must be 1 to 3 digits",
  "profile.phoneNumber": "must be 4 to 14 digits",
  "profile.phonePair": "countryCode and phoneNumber go together: give both or neither",
  "profile.birthDate": "must be a date like 1995-06-15",
  "profile.age": "must give an age from 13 to 120",
  "profile.interestsUnique": "must not repeat an interest",
  "profile.emailTaken": "email: is already in use",
  "username.format":
    "must be 3 to 30 characters of a-z, 0-9, . and _, start with a letter or digit, have no .. and not end with .",
  "username.reserved": "is reserved",
  "username.unchanged": "username: is already your username",
  "username.taken": "username: is already taken",
  "username.cooldown": "username: can be changed again from {next}",
  "photo.unsupported": "file: must be a JPEG, PNG or WebP image",
  "photo.typeMismatch": "file: declared as {declared} but its content is {actual}",
  "photo.dimensions": "file: width and height must each be 32 to 8192 pixels",
  "photo.tooLarge": "file: must be at most 5 MiB",
  "deletion.alreadyPending": "An account deletion is already pending until {until}",
  "deletion.notPending": "There is no pending account deletion",
  "deletion.finalizeNowDisabled": "Immediate finalization is not enabled",
  "flags.unknown": "No such feature flag",
  // ---- Erasure receipt of finalize-now: why each kept category stays ----
  "receipt.kept.tombstone":
    "The account's id, status, dates and roles, so the account stays closed and its id is never reused",
  "receipt.kept.consentRecords":
    "Which policy versions were accepted and when: the record of what was agreed, naming no one",
  "receipt.kept.auditTrail":
    "The account's transitions (what, when, platform, app version) without device ids, as required records",
  "receipt.kept.liveStreams": "When the streams took place, without their titles: the platform's own records",
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
  "request.malformedForm": "body: geçerli bir multipart/form-data olmalı",
  "request.unknownField": "kabul edilen bir alan değil",
  "header.timezone": "UTC veya UTC-12:00 ile UTC+14:00 arasında bir fark olmalı",
  "header.platform": "web, mobile_ios, mobile_android, admin, api, unknown, all değerlerinden biri olmalı",
  "header.appVersion": "1.4.2 biçiminde olmalı (1 ile 3 sayı, isteğe bağlı -ek, en fazla 32 karakter)",
  "header.deviceId": "1 ile 128 arasında yazdırılabilir ASCII karakter olmalı",
  "header.bookmark": "önceki bir yanıtın X-D1-Bookmark değeri olmalı",
  "account.locked":
    "Hesap {until} tarihine kadar silinmeyi bekliyor; değiştirmek için silme talebini iptal edin",
  "text.controlCharacters": "kontrol veya yön değiştirme karakterleri içermemeli",
  "profile.handle": "harf, rakam, . veya _ olmalı (en fazla 30 karakter)",
  "profile.facebook": "harf, rakam, . veya _ olmalı (en fazla 50 karakter)",
  "profile.countryCode": "1 ile 3 rakam olmalı",
  "profile.phoneNumber": "4 ile 14 rakam olmalı",
  "profile.phonePair": "countryCode ve phoneNumber birlikte verilmeli: ikisi de ya da hiçbiri",
  "profile.birthDate": "1995-06-15 gibi bir tarih olmalı",
  "profile.age": "13 ile 120 arasında bir yaş vermeli",
  "profile.interestsUnique": "aynı ilgi alanı tekrar edilmemeli",
  "profile.emailTaken": "email: zaten kullanımda",
  "username.format":
    "a-z, 0-9, . ve _ karakterlerinden 3 ile 30 karakter olmalı, harf veya rakamla başlamalı, .. içermemeli ve . ile bitmemeli",
  "username.reserved": "ayrılmış bir ad",
  "username.unchanged": "username: zaten kullanıcı adınız",
  "username.taken": "username: zaten alınmış",
  "username.cooldown": "username: {next} tarihinden itibaren yeniden değiştirilebilir",
  "photo.unsupported": "file: JPEG, PNG veya WebP bir görsel olmalı",
  "photo.typeMismatch": "file: {declared} olarak bildirilmiş ama içeriği {actual}",
  "photo.dimensions": "file: genişlik ve yükseklik 32 ile 8192 piksel arasında olmalı",
  "photo.tooLarge": "file: en fazla 5 MiB olmalı",
  "deletion.alreadyPending": "{until} tarihine kadar bekleyen bir hesap silme talebi zaten var",
  "deletion.notPending": "Bekleyen bir hesap silme talebi yok",
  "deletion.finalizeNowDisabled": "Anında sonlandırma etkin değil",
  "flags.unknown": "Böyle bir özellik bayrağı yok",
  // ---- Erasure receipt of finalize-now: why each kept category stays ----
  "receipt.kept.tombstone":
    "Hesabın kimliği, durumu, tarihleri ve rolleri; hesap kapalı kalsın ve kimliği yeniden kullanılmasın diye",
  "receipt.kept.consentRecords":
    "Hangi politika sürümlerinin ne zaman kabul edildiği: kimseyi adlandırmayan bir onay kaydı",
  "receipt.kept.auditTrail":
    "Hesabın geçişleri (ne, ne zaman, platform, uygulama sürümü) cihaz kimlikleri olmadan, zorunlu kayıt olarak",
  "receipt.kept.liveStreams": "Yayınların ne zaman yapıldığı, başlıkları olmadan: platformun kendi kayıtları",
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
