const words = []; for (let i = 0; i < 1000000; i++) words.push("w" + (i * 7919 % 100003));
const counts = new Map(); for (const w of words) counts.set(w, (counts.get(w) || 0) + 1);
const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
console.log(counts.size, sorted.slice(0, 3).map(e => e[0]).join(" "), JSON.stringify(sorted).length);
