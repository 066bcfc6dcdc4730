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

const LOCALES: Record<Language, string> = { en: "en-GB", tr: "tr-TR" };
// Built on first use: each costs about 10 ms of CPU, which at module load every cold start would
// pay, while only a few error messages ever show a date.
const formatters = new Map<Language, Intl.DateTimeFormat>();

function formatter(language: Language): Intl.DateTimeFormat {
  let format = formatters.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALES[language], {
      dateStyle: "long",
      timeStyle: "short",
      timeZone: "UTC",
    });
    formatters.set(language, format);
  }
  return format;
}

/** A date for a human message, shown at the client's `X-Timezone` offset: "5 May 2026 at 13:00 (UTC+03:00)". */
export function formatForHumans(date: Date, timezone: Timezone, language: Language): string {
  const shifted = new Date(date.getTime() + offsetMinutes(timezone) * 60_000);
  return `${formatter(language).format(shifted)} (${timezone})`;
}
