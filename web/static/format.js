// Number, money and date formatting for the two languages of the page.
// Everything is done here by hand rather than through Intl, so Persian digits,
// separators and the Jalali calendar come out the same in every browser.

const PERSIAN_DIGITS = '۰۱۲۳۴۵۶۷۸۹';
const ARABIC_DIGITS = '٠١٢٣٤٥٦٧٨٩';

const SEPARATORS = {
  fa: { group: '٬', decimal: '٫', minus: '−' },
  en: { group: ',', decimal: '.', minus: '−' },
};

const MONTHS = {
  jalali: ['فروردین', 'اردیبهشت', 'خرداد', 'تیر', 'مرداد', 'شهریور',
    'مهر', 'آبان', 'آذر', 'دی', 'بهمن', 'اسفند'],
  gregorian: ['January', 'February', 'March', 'April', 'May', 'June',
    'July', 'August', 'September', 'October', 'November', 'December'],
};

// digits writes the Latin digits of s in the language's digits.
export function digits(s, lang) {
  s = String(s);
  if (lang !== 'fa') return s;
  return s.replace(/[0-9]/g, (d) => PERSIAN_DIGITS[d]);
}

// latinDigits turns Persian and Arabic-Indic digits into Latin ones, so what
// a person types in either script can be searched.
export function latinDigits(s) {
  return String(s).replace(/[۰-۹٠-٩]/g, (d) => {
    const i = PERSIAN_DIGITS.indexOf(d);
    return String(i >= 0 ? i : ARABIC_DIGITS.indexOf(d));
  });
}

// formatNumber writes x with thousands separators and between minDec and
// maxDec decimals. The API writes "no limit" as the string "inf".
export function formatNumber(x, lang, { minDec = 0, maxDec = 2 } = {}) {
  if (x === 'inf') return '∞';
  if (x === '-inf') return '−∞';
  if (typeof x !== 'number' || !Number.isFinite(x)) return String(x);
  const sep = SEPARATORS[lang] || SEPARATORS.en;
  let fixed = Math.abs(x).toFixed(maxDec);
  let [int, frac = ''] = fixed.split('.');
  while (frac.length > minDec && frac.endsWith('0')) frac = frac.slice(0, -1);
  int = int.replace(/\B(?=(\d{3})+(?!\d))/g, '\u0000');
  let s = int + (frac ? '\u0001' + frac : '');
  s = digits(s, lang).replace(/\u0000/g, sep.group).replace(/\u0001/g, sep.decimal);
  const negative = x < 0 && /[1-9]/.test(fixed);
  return (negative ? sep.minus : '') + s;
}

// formatMoney writes whole Rial with thousands separators.
export function formatMoney(rial, lang) {
  return formatNumber(rial, lang, { minDec: 0, maxDec: 0 });
}

const div = (a, b) => Math.trunc(a / b);
const mod = (a, b) => a - Math.trunc(a / b) * b;

// Years (Jalali) at which the 33-year leap cycle breaks; Borkowski's
// algorithm, as in the widely used jalaali-js, valid for -61 ≤ jy < 3178.
const BREAKS = [-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210,
  1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456, 3178];

// jalaliYear returns whether Jalali year jy is leap (leap === 0) and the
// day of March (Gregorian year jy + 621) on which it starts.
function jalaliYear(jy) {
  const gy = jy + 621;
  let leapJ = -14;
  let jp = BREAKS[0];
  let jump = 0;
  if (jy < jp || jy >= BREAKS[BREAKS.length - 1]) {
    throw new RangeError(`Jalali year ${jy} is out of range`);
  }
  for (let i = 1; i < BREAKS.length; i++) {
    const jm = BREAKS[i];
    jump = jm - jp;
    if (jy < jm) break;
    leapJ += div(jump, 33) * 8 + div(mod(jump, 33), 4);
    jp = jm;
  }
  let n = jy - jp;
  leapJ += div(n, 33) * 8 + div(mod(n, 33) + 3, 4);
  if (mod(jump, 33) === 4 && jump - n === 4) leapJ += 1;
  const leapG = div(gy, 4) - div((div(gy, 100) + 1) * 3, 4) - 150;
  const march = 20 + leapJ - leapG;
  if (jump - n < 6) n = n - jump + div(jump + 4, 33) * 33;
  let leap = mod(mod(n + 1, 33) - 1, 4);
  if (leap === -1) leap = 4;
  return { leap, march };
}

// julianDay is the Julian day number of a Gregorian date.
function julianDay(gy, gm, gd) {
  let d = div((gy + div(gm - 8, 6) + 100100) * 1461, 4) +
    div(153 * mod(gm + 9, 12) + 2, 5) + gd - 34840408;
  return d - div(div(gy + 100100 + div(gm - 8, 6), 100) * 3, 4) + 752;
}

// toJalali converts a Gregorian date (month 1–12) to the Jalali (Solar
// Hijri) calendar: [year, month 1–12, day].
export function toJalali(gy, gm, gd) {
  const jdn = julianDay(gy, gm, gd);
  let jy = gy - 621;
  const y = jalaliYear(jy);
  let k = jdn - julianDay(gy, 3, y.march);
  if (k >= 0) {
    if (k <= 185) return [jy, 1 + div(k, 31), mod(k, 31) + 1];
    k -= 186;
  } else {
    jy -= 1;
    k += 179;
    if (y.leap === 1) k += 1;
  }
  return [jy, 7 + div(k, 30), mod(k, 30) + 1];
}

// parseISODate reads yyyy-mm-dd (a longer ISO timestamp is cut to its date).
export function parseISODate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso || ''));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

// formatDate writes an ISO date for a person to read: Jalali with Persian
// digits in Persian, Gregorian in English.
export function formatDate(iso, lang) {
  const g = parseISODate(iso);
  if (!g) return String(iso || '');
  if (lang === 'fa') {
    const [jy, jm, jd] = toJalali(...g);
    return digits(`${jd} ${MONTHS.jalali[jm - 1]} ${jy}`, 'fa');
  }
  return `${g[2]} ${MONTHS.gregorian[g[1] - 1]} ${g[0]}`;
}

// todayISO is the local date as yyyy-mm-dd.
export function todayISO() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
