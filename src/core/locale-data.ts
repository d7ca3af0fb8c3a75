/**
 * The table of locale names — Tornado's `tornado._locale_data.LOCALE_NAMES`.
 *
 * A fact table: for each locale code Tornado knows, the language's name in that language
 * (`name`, shown to users choosing a language) and in English (`nameEn`). `Locale.name`
 * reads it; codes missing here are named "Unknown", as in Tornado.
 * @module
 */

/** A locale's name, in its own language and in English. */
export interface LocaleName {
  /** The name in the locale's own language, e.g. "Español". */
  readonly name: string;
  /** The name in English, e.g. "Spanish". */
  readonly nameEn: string;
}

/**
 * Locale code (`language_REGION`) to its names, as Tornado's `LOCALE_NAMES`.
 *
 * @example
 * LOCALE_NAMES["es_LA"]?.name;   // "Español"
 * LOCALE_NAMES["de_DE"]?.nameEn; // "German"
 */
export const LOCALE_NAMES: Readonly<Record<string, LocaleName>> = Object.freeze({
  af_ZA: { name: "Afrikaans", nameEn: "Afrikaans" },
  am_ET: { name: "አማርኛ", nameEn: "Amharic" },
  ar_AR: { name: "العربية", nameEn: "Arabic" },
  bg_BG: { name: "Български", nameEn: "Bulgarian" },
  bn_IN: { name: "বাংলা", nameEn: "Bengali" },
  bs_BA: { name: "Bosanski", nameEn: "Bosnian" },
  ca_ES: { name: "Català", nameEn: "Catalan" },
  cs_CZ: { name: "Čeština", nameEn: "Czech" },
  cy_GB: { name: "Cymraeg", nameEn: "Welsh" },
  da_DK: { name: "Dansk", nameEn: "Danish" },
  de_DE: { name: "Deutsch", nameEn: "German" },
  el_GR: { name: "Ελληνικά", nameEn: "Greek" },
  en_GB: { name: "English (UK)", nameEn: "English (UK)" },
  en_US: { name: "English (US)", nameEn: "English (US)" },
  es_ES: { name: "Español (España)", nameEn: "Spanish (Spain)" },
  es_LA: { name: "Español", nameEn: "Spanish" },
  et_EE: { name: "Eesti", nameEn: "Estonian" },
  eu_ES: { name: "Euskara", nameEn: "Basque" },
  fa_IR: { name: "فارسی", nameEn: "Persian" },
  fi_FI: { name: "Suomi", nameEn: "Finnish" },
  fr_CA: { name: "Français (Canada)", nameEn: "French (Canada)" },
  fr_FR: { name: "Français", nameEn: "French" },
  ga_IE: { name: "Gaeilge", nameEn: "Irish" },
  gl_ES: { name: "Galego", nameEn: "Galician" },
  he_IL: { name: "עברית", nameEn: "Hebrew" },
  hi_IN: { name: "हिन्दी", nameEn: "Hindi" },
  hr_HR: { name: "Hrvatski", nameEn: "Croatian" },
  hu_HU: { name: "Magyar", nameEn: "Hungarian" },
  id_ID: { name: "Bahasa Indonesia", nameEn: "Indonesian" },
  is_IS: { name: "Íslenska", nameEn: "Icelandic" },
  it_IT: { name: "Italiano", nameEn: "Italian" },
  ja_JP: { name: "日本語", nameEn: "Japanese" },
  ko_KR: { name: "한국어", nameEn: "Korean" },
  lt_LT: { name: "Lietuvių", nameEn: "Lithuanian" },
  lv_LV: { name: "Latviešu", nameEn: "Latvian" },
  mk_MK: { name: "Македонски", nameEn: "Macedonian" },
  ml_IN: { name: "മലയാളം", nameEn: "Malayalam" },
  ms_MY: { name: "Bahasa Melayu", nameEn: "Malay" },
  nb_NO: { name: "Norsk (bokmål)", nameEn: "Norwegian (bokmal)" },
  nl_NL: { name: "Nederlands", nameEn: "Dutch" },
  nn_NO: { name: "Norsk (nynorsk)", nameEn: "Norwegian (nynorsk)" },
  pa_IN: { name: "ਪੰਜਾਬੀ", nameEn: "Punjabi" },
  pl_PL: { name: "Polski", nameEn: "Polish" },
  pt_BR: { name: "Português (Brasil)", nameEn: "Portuguese (Brazil)" },
  pt_PT: { name: "Português (Portugal)", nameEn: "Portuguese (Portugal)" },
  ro_RO: { name: "Română", nameEn: "Romanian" },
  ru_RU: { name: "Русский", nameEn: "Russian" },
  sk_SK: { name: "Slovenčina", nameEn: "Slovak" },
  sl_SI: { name: "Slovenščina", nameEn: "Slovenian" },
  sq_AL: { name: "Shqip", nameEn: "Albanian" },
  sr_RS: { name: "Српски", nameEn: "Serbian" },
  sv_SE: { name: "Svenska", nameEn: "Swedish" },
  sw_KE: { name: "Kiswahili", nameEn: "Swahili" },
  ta_IN: { name: "தமிழ்", nameEn: "Tamil" },
  te_IN: { name: "తెలుగు", nameEn: "Telugu" },
  th_TH: { name: "ภาษาไทย", nameEn: "Thai" },
  tl_PH: { name: "Filipino", nameEn: "Filipino" },
  tr_TR: { name: "Türkçe", nameEn: "Turkish" },
  uk_UA: { name: "Українська", nameEn: "Ukraini " },
  vi_VN: { name: "Tiếng Việt", nameEn: "Vietnamese" },
  zh_CN: { name: "中文(简体)", nameEn: "Chinese (Simplified)" },
  zh_TW: { name: "中文(繁體)", nameEn: "Chinese (Traditional)" },
});
