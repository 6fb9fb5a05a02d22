// `npm run lock`: re-resolve package.json into package-lock.json, then drop the lock's only
// URLs (packages' "funding" pages). With omit-lockfile-registry-resolved (.npmrc) the lock names
// no registry host: npm ci installs from whatever registry the machine's npm is configured with.
// `make client` refuses a lock with a URL in it.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

execFileSync("npm", ["install", "--package-lock-only", "--ignore-scripts"], { stdio: "inherit" });
const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
for (const entry of Object.values(lock.packages ?? {})) delete entry.funding;
writeFileSync("package-lock.json", JSON.stringify(lock, null, 2) + "\n");
