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
  "header.appVersion":
    "must look like 1.4.2, 2.0.0-beta.3 or 1.4.2+815 (1 to 4 numbers of at most 5 digits, optionally -alpha, -beta or -rc, optionally +build)",
  "header.deviceId": "must be 1 to 128 printable ASCII characters",
  "header.bookmark": "must be the X-D1-Bookmark value of an earlier response",
  "account.locked": "The account is pending deletion until {until}; cancel the deletion to change it",
  "profile.handle": "must be letters, digits, . or _ (at most {maximum} characters)",
  "profile.countryCode": "must be 1 to 3 digits",
  "profile.phoneNumber": "must be 4 to 14 digits",
  "profile.phonePair": "countryCode and phoneNumber go together: give both or neither",
  "profile.birthDate": "must be a date like 1995-06-15",
  "profile.age": "must give an age from {minimum} to {maximum}",
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
  "photo.tooLarge": "file: must be at most {maximum} MiB ({bytes} bytes)",
  "deletion.alreadyPending": "An account deletion is already pending until {until}",
  "deletion.notPending": "There is no pending account deletion",
  "deletion.finalizeNowDisabled": "Immediate finalization is not enabled",
  "flags.unknown": "No such feature flag",
  // Data export
  "dataExport.inProgress":
    "A data export is already being built; GET /api/v1/users/me/data-export shows its state",
  "dataExport.daily": "A data export can be started once a day; the next one from {next}",
  "dataExport.linkInvalid": "The download link is not valid",
  "dataExport.linkSpelling": "must be spelled exactly as in the link from GET /api/v1/users/me/data-export",
  "dataExport.linkExpired": "The download link has expired; GET /api/v1/users/me/data-export gives a new one",
  "dataExport.gone": "This data export no longer exists",

  // Validation messages by zod issue code (src/lib/validation.ts); each follows "field: ".
  // None may use zod's own words, so a client can tell ours from a library's.
  "validation.required": "is required",
  "validation.type.string": "must be a string",
  "validation.type.number": "must be a number",
  "validation.type.boolean": "must be true or false",
  "validation.type.array": "must be an array",
  "validation.type.object": "must be an object",
  "validation.type": "has the wrong type",
  "validation.oneOf": "must be one of {values}",
  "validation.equals": "must be {value}",
  "validation.empty": "must not be empty",
  "validation.tooShort": "must be at least {minimum} characters",
  "validation.tooLong": "must be at most {maximum} characters",
  "validation.tooFewItems": "must have at least {minimum} items",
  "validation.tooManyItems": "must have at most {maximum} items",
  "validation.tooSmall": "must be at least {minimum}",
  "validation.tooBig": "must be at most {maximum}",
  "validation.email": "must be an email address like name@example.com",
  "validation.date": "must be a date like 2026-01-15",
  "validation.datetime": "must be a date and time like 2026-01-15T10:30:00.000Z",
  "validation.format": "has the wrong format",
  "validation.invalid": "is not a valid value",
  "photo.fileField": "must be an image file sent in the multipart/form-data field named file",

  // --- Names people can trust ---
  "username.lookalike":
    "looks like a reserved or staff name (lookalike letters such as 0 for o or 1 for l, separators and digits do not make it different)",
  "username.recentlyUsed":
    "username: was used recently by another account and is held for now; choose another",
  "text.invisibleOnly": "must contain visible characters, not only invisible or formatting ones",
  "text.forbiddenCharacters":
    "must not contain control, invisible formatting, bidirectional-control, tag, private-use or unassigned characters",
  "text.invisibleLetters":
    "must not contain letters that show as nothing (Hangul fillers, the blank Braille pattern and the like)",
  "text.stackedMarks": "must not stack more than {maximum} accents or other combining marks on one character",
  // A known path called with a method it does not have (src/lib/allowed-methods.ts).
  "status.405": "Method not allowed",
  "request.methodNotAllowed": "{method} is not allowed on this path; allowed: {allowed}",
  // Profile photos re-encoded by the Images binding (issue 11).
  "status.503": "Service temporarily unavailable",
  "photo.undecodable": "file: could not be decoded as an image",
  "photo.processingUnavailable": "file: photos cannot be processed right now; try again shortly",
  // ---- Erasure receipt of finalize-now: why each kept category stays ----
  "receipt.kept.tombstone":
    "The account's id, status, dates and roles, so the account stays closed and its id is never reused",
  "receipt.kept.consentRecords":
    "Which policy versions were accepted and when: the record of what was agreed, naming no one",
  "receipt.kept.auditTrail":
    "The account's transitions (what, when, platform, app version) without device ids, as required records",
  "receipt.kept.liveStreams": "When the streams took place, without their titles: the platform's own records",
  // ---- Why a request was refused (401 reasons, 403 role, 413 limit, 429 retry) ----
  "auth.missing": "No bearer token was sent: send Authorization: Bearer <token>",
  "auth.malformed": "The bearer token is malformed",
  "auth.signature": "The bearer token's signature is not valid",
  "auth.expired": "The bearer token has expired",
  "auth.notYetValid": "The bearer token is not valid yet",
  "auth.claims": "The bearer token was issued for another issuer or audience",
  "auth.account": "The bearer token's account does not exist or has been deleted",
  "auth.roleRequired": "This needs the {role} role",
  "request.tooLarge": "body: must be at most {limit} bytes",
  "rateLimit.retry": "Too many requests in a short time; try again in {seconds} seconds",
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
  "header.appVersion":
    "1.4.2, 2.0.0-beta.3 veya 1.4.2+815 biçiminde olmalı (en fazla 5 basamaklı 1 ile 4 sayı, isteğe bağlı -alpha, -beta veya -rc, isteğe bağlı +yapı numarası)",
  "header.deviceId": "1 ile 128 arasında yazdırılabilir ASCII karakter olmalı",
  "header.bookmark": "önceki bir yanıtın X-D1-Bookmark değeri olmalı",
  "account.locked":
    "Hesap {until} tarihine kadar silinmeyi bekliyor; değiştirmek için silme talebini iptal edin",
  "profile.handle": "harf, rakam, . veya _ olmalı (en fazla {maximum} karakter)",
  "profile.countryCode": "1 ile 3 rakam olmalı",
  "profile.phoneNumber": "4 ile 14 rakam olmalı",
  "profile.phonePair": "countryCode ve phoneNumber birlikte verilmeli: ikisi de ya da hiçbiri",
  "profile.birthDate": "1995-06-15 gibi bir tarih olmalı",
  "profile.age": "{minimum} ile {maximum} arasında bir yaş vermeli",
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
  "photo.tooLarge": "file: en fazla {maximum} MiB ({bytes} bayt) olmalı",
  "deletion.alreadyPending": "{until} tarihine kadar bekleyen bir hesap silme talebi zaten var",
  "deletion.notPending": "Bekleyen bir hesap silme talebi yok",
  "deletion.finalizeNowDisabled": "Anında sonlandırma etkin değil",
  "flags.unknown": "Böyle bir özellik bayrağı yok",
  // Data export
  "dataExport.inProgress":
    "Bir veri dışa aktarımı zaten hazırlanıyor; durumunu GET /api/v1/users/me/data-export gösterir",
  "dataExport.daily":
    "Veri dışa aktarımı günde bir kez başlatılabilir; bir sonraki {next} tarihinden itibaren",
  "dataExport.linkInvalid": "İndirme bağlantısı geçerli değil",
  "dataExport.linkSpelling": "GET /api/v1/users/me/data-export bağlantısındaki yazımla birebir aynı olmalı",
  "dataExport.linkExpired":
    "İndirme bağlantısının süresi doldu; GET /api/v1/users/me/data-export yenisini verir",
  "dataExport.gone": "Bu veri dışa aktarımı artık mevcut değil",

  // Validation messages by zod issue code (src/lib/validation.ts); each follows "field: ".
  "validation.required": "zorunlu",
  "validation.type.string": "metin olmalı",
  "validation.type.number": "sayı olmalı",
  "validation.type.boolean": "true veya false olmalı",
  "validation.type.array": "bir dizi olmalı",
  "validation.type.object": "bir nesne olmalı",
  "validation.type": "türü yanlış",
  "validation.oneOf": "{values} değerlerinden biri olmalı",
  "validation.equals": "{value} olmalı",
  "validation.empty": "boş olmamalı",
  "validation.tooShort": "en az {minimum} karakter olmalı",
  "validation.tooLong": "en fazla {maximum} karakter olmalı",
  "validation.tooFewItems": "en az {minimum} öğe içermeli",
  "validation.tooManyItems": "en fazla {maximum} öğe içermeli",
  "validation.tooSmall": "en az {minimum} olmalı",
  "validation.tooBig": "en fazla {maximum} olmalı",
  "validation.email": "ad@example.com gibi bir e-posta adresi olmalı",
  "validation.date": "2026-01-15 gibi bir tarih olmalı",
  "validation.datetime": "2026-01-15T10:30:00.000Z gibi bir tarih ve saat olmalı",
  "validation.format": "biçimi yanlış",
  "validation.invalid": "geçerli bir değer değil",
  "photo.fileField": "multipart/form-data içinde file adlı alanda gönderilen bir görsel dosyası olmalı",

  // --- Names people can trust ---
  "username.lookalike":
    "ayrılmış bir adı veya personel adını andırıyor (0 yerine o, 1 yerine l gibi benzer harfler, ayraçlar ve rakamlar onu farklı kılmaz)",
  "username.recentlyUsed":
    "username: yakın zamanda başka bir hesap tarafından kullanıldı ve şimdilik ayrılmış; başka bir ad seçin",
  "text.invisibleOnly":
    "yalnızca görünmez veya biçimlendirme karakterlerinden değil, görünür karakterlerden oluşmalı",
  "text.forbiddenCharacters":
    "kontrol, görünmez biçimlendirme, yön denetimi, etiket, özel kullanım veya atanmamış karakterler içermemeli",
  "text.invisibleLetters":
    "görünmeyen harfler (Hangul dolgu karakterleri, boş Braille deseni ve benzerleri) içermemeli",
  "text.stackedMarks": "bir karakter üzerinde {maximum} taneden fazla aksan veya birleşik işaret içermemeli",
  // A known path called with a method it does not have (src/lib/allowed-methods.ts).
  "status.405": "Yönteme izin verilmiyor",
  "request.methodNotAllowed": "Bu yolda {method} kullanılamaz; izin verilenler: {allowed}",
  // Profile photos re-encoded by the Images binding (issue 11).
  "status.503": "Hizmet geçici olarak kullanılamıyor",
  "photo.undecodable": "file: görsel olarak çözümlenemedi",
  "photo.processingUnavailable": "file: fotoğraflar şu anda işlenemiyor; birazdan tekrar deneyin",
  // ---- Erasure receipt of finalize-now: why each kept category stays ----
  "receipt.kept.tombstone":
    "Hesabın kimliği, durumu, tarihleri ve rolleri; hesap kapalı kalsın ve kimliği yeniden kullanılmasın diye",
  "receipt.kept.consentRecords":
    "Hangi politika sürümlerinin ne zaman kabul edildiği: kimseyi adlandırmayan bir onay kaydı",
  "receipt.kept.auditTrail":
    "Hesabın geçişleri (ne, ne zaman, platform, uygulama sürümü) cihaz kimlikleri olmadan, zorunlu kayıt olarak",
  "receipt.kept.liveStreams": "Yayınların ne zaman yapıldığı, başlıkları olmadan: platformun kendi kayıtları",
  // ---- Why a request was refused (401 reasons, 403 role, 413 limit, 429 retry) ----
  "auth.missing": "Bearer belirteci gönderilmedi: Authorization: Bearer <belirteç> gönderin",
  "auth.malformed": "Bearer belirteci hatalı biçimde",
  "auth.signature": "Bearer belirtecinin imzası geçerli değil",
  "auth.expired": "Bearer belirtecinin süresi dolmuş",
  "auth.notYetValid": "Bearer belirteci henüz geçerli değil",
  "auth.claims": "Bearer belirteci başka bir yayıncı veya hedef kitle için verilmiş",
  "auth.account": "Bearer belirtecinin hesabı mevcut değil veya silinmiş",
  "auth.roleRequired": "Bunun için {role} rolü gerekir",
  "request.tooLarge": "body: en fazla {limit} bayt olmalı",
  "rateLimit.retry": "Kısa sürede çok fazla istek; {seconds} saniye sonra tekrar deneyin",
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

// Every message of a language, for tests that check a text came from this catalog.
export function catalogMessages(language: Language): string[] {
  return Object.values(catalog[language]);
}
