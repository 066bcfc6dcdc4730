import type { Timezone } from "./client-headers";
import type { Language } from "./i18n";

const DAY_MS = 24 * 60 * 60 * 1000;

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

function offsetMinutes(timezone: Timezone): number {
  const match = /^UTC([+-])(\d{2}):(\d{2})$/.exec(timezone);
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === "-" ? -minutes : minutes;
}

const formatters: Record<Language, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeStyle: "short", timeZone: "UTC" }),
  tr: new Intl.DateTimeFormat("tr-TR", { dateStyle: "long", timeStyle: "short", timeZone: "UTC" }),
};

/** A date for a human message, shown at the client's `X-Timezone` offset: "5 May 2026 at 13:00 (UTC+03:00)". */
export function formatForHumans(date: Date, timezone: Timezone, language: Language): string {
  const shifted = new Date(date.getTime() + offsetMinutes(timezone) * 60_000);
  return `${formatters[language].format(shifted)} (${timezone})`;
}
