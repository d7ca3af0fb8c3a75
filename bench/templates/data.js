// The data every engine renders in the template benchmark (bench/templates/run.js): a
// site, a signed-in user, a navigation bar and an order table of 100 rows. Generated from a
// fixed seed, so every run and every engine (Tornado reads it as JSON) sees the same page.
// Names, notes and reasons hold the characters autoescaping must change (& < > " ').

const FIRST = ["Ann", "Bob", "Chloé", "Dmitri", "Eve", "Farid", "Grace", "Hiro", "Ines", "Jon"];
const LAST = ["O'Brien", "Smith & Sons", "Müller", "<Nakamura>", "Diaz", "Okafor", "Li", "\"Lee\"", "Novak", "Haas"];
const CITIES = ["Zürich", "São Paulo", "New York", "Tokyo", "Lagos", "Montréal", "Köln", "Austin & Co"];
const NOTES = [
  "",
  "Deliver after 5pm",
  "Gift wrap <please>",
  "Call \"front desk\" first",
  "Leave at the neighbour's",
  "Fragile: glass & ceramics",
  "<script>alert('x')</script>",
];
const STATUSES = ["paid", "pending", "shipped", "refunded"];

/** A small deterministic pseudo-random generator (a linear congruential one). */
function generator(seed) {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

/** The benchmark page's data: `rowCount` order rows plus the page around them. */
export function benchData(rowCount = 100) {
  const pick = generator(20250401);
  const rows = [];
  for (let i = 0; i < rowCount; i++) {
    const first = FIRST[pick(FIRST.length)];
    const last = LAST[pick(LAST.length)];
    const cents = 500 + pick(250_000);
    const flagged = pick(5) === 0;
    rows.push({
      id: 10_000 + i,
      name: `${first} ${last}`,
      slug: `${first}-${i}`.toLowerCase(),
      email: `${first.toLowerCase()}.${i}@example.com`,
      city: CITIES[pick(CITIES.length)],
      items: 1 + pick(12),
      // Formatted upstream, as a page would show it: the same string in every engine.
      total: `${Math.floor(cents / 100).toLocaleString("en-US")}.${String(cents % 100).padStart(2, "0")}`,
      status: STATUSES[pick(STATUSES.length)],
      flagged,
      flagReason: flagged ? "Address & card \"mismatch\"" : "",
      note: NOTES[pick(NOTES.length)],
    });
  }
  return {
    site: { name: "Cyclone & Co", tagline: "Orders <fast> & \"safe\"" },
    title: "Orders for 'April'",
    intro: "Every order placed this month, newest first. Totals include VAT & shipping.",
    current: "/orders",
    year: 2025,
    user: { name: "Zoë <admin>" },
    links: [
      { href: "/", label: "Home" },
      { href: "/orders", label: "Orders" },
      { href: "/customers?sort=name&dir=asc", label: "Customers" },
      { href: "/reports", label: "Reports & exports" },
      { href: "/settings", label: "Settings" },
      { href: "/help", label: "Help <FAQ>" },
    ],
    rows,
    summary: `${rowCount} orders shown; filters: status != "refunded" & city < 'Z'.`,
  };
}
