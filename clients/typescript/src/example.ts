/**
 * A small SPA flow against the generated types; `make client` type-checks it (tsc --noEmit), so
 * a schema change that breaks the SPA's use of the API fails CI here. Nothing runs it.
 *
 * The assertions are compile-time: `expectType<Equal<A, B>>()` fails unless A is exactly B, and
 * each `@ts-expect-error` fails the build if its line ever compiles (types grown too loose).
 */
import { apiClient, type ApiClient, type Problem, type ProblemCode, type Schemas } from "./api";
import type { operations } from "./schema";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

/** A problem document (RFC 9457) as an exception; the SPA branches on its stable `code`. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

export function messageFor(problem: Problem): string {
  switch (problem.code) {
    case "invalid_credentials":
      return "Wrong email or password.";
    case "throttled":
      return "Too many attempts: try again later.";
    case "permission_denied":
    case "not_found":
      return "You cannot see this.";
    case "rule_violation":
      return `Blocked by ${problem.violations?.length ?? 0} rule(s).`;
    default:
      return problem.detail;
  }
}
const knownCode: ProblemCode = "precondition_failed";
// @ts-expect-error: not a code the API answers with (Problem.code is an enum, not a string).
const unknownCode: ProblemCode = "no_such_code";

/** The cookie flow: GET csrf/ sets the CSRF cookie, POST login/ sets the JWT cookies. */
export async function logIn(api: ApiClient, email: string, password: string) {
  await api.GET("/api/v1/auth/csrf/");
  const { data, error } = await api.POST("/api/v1/auth/login/", { body: { email, password } });
  if (error) throw new ApiError(error);
  expectType<Equal<typeof error, undefined>>();
  return data;
}

/** One page of the employees list: `results` and `count` without narrowing any union. */
export async function employeesPage(api: ApiClient, page: number) {
  const { data, error } = await api.GET("/api/v1/employees/", {
    params: { query: { page, page_size: 50, state: ["active", "on_leave"], ordering: "last_name" } },
  });
  if (error) throw new ApiError(error);
  expectType<Equal<typeof data, Schemas["PaginatedEmployeeList"]>>();
  const employee = data.results[0];
  if (employee) {
    // @ts-expect-error: the schema marks the id read-only.
    employee.id = 1;
    // @ts-expect-error: no such field on an employee.
    void employee.salary;
  }
  return {
    total: data.count,
    hasNext: data.next != null,
    rows: data.results.map((e) => ({
      name: `${e.last_name}, ${e.first_name}`,
      unit: e.org_unit_summary.code,
      state: e.state,
      hours: Number(e.contract_hours), // decimals are strings in the API
      tags: e.tags.length,
    })),
  };
}

/** The coverage summary (JSON, a page): the weeks where an org unit lacks hours. */
export async function coverageGaps(api: ApiClient, from: string, to: string) {
  const { data, error } = await api.GET("/api/v1/coverage/summary/", {
    params: { query: { from, to, depth: 1 } },
  });
  if (error) throw new ApiError(error);
  // The report also answers text/csv: still one JSON type here, not `PaginatedSummaryRowList | string`.
  expectType<Equal<typeof data, Schemas["PaginatedSummaryRowList"]>>();
  return data.results
    .filter((row) => Number(row.gap) > 0)
    .map((row) => ({ unit: row.org_unit_code, week: row.week, gap: row.gap, ratio: row.ratio }));
}

/** The same report as a CSV download (`?format=csv`, every row), read as text. */
export async function downloadCoverageSummaryCsv(api: ApiClient, from: string, to: string) {
  const { data, error } = await api.GET("/api/v1/coverage/summary/", {
    params: { query: { from, to, format: "csv" } },
    parseAs: "text",
  });
  if (error) throw new ApiError(error);
  expectType<Equal<typeof data, string>>();
  return data;
}

// The contract itself: a plain list is JSON only; an importable list (employees) and a report
// are JSON (the envelope) or CSV (text: the list in its import template's columns).
type UsersContent = operations["users_list"]["responses"][200]["content"];
type EmployeesContent = operations["employees_list"]["responses"][200]["content"];
type SummaryContent = operations["coverage_summary_list"]["responses"][200]["content"];
expectType<Equal<keyof UsersContent, "application/json">>();
expectType<Equal<keyof EmployeesContent, "application/json" | "text/csv">>();
expectType<Equal<EmployeesContent["text/csv"], string>>();
expectType<Equal<SummaryContent["application/json"], Schemas["PaginatedSummaryRowList"]>>();
expectType<Equal<SummaryContent["text/csv"], string>>();
expectType<Equal<operations["employees_list"]["responses"][404]["content"]["application/problem+json"], Problem>>();

export async function example(): Promise<string[]> {
  const api = apiClient("https://coveris.example");
  try {
    const me = await logIn(api, "hr@example.com", "correct horse battery staple");
    const page = await employeesPage(api, 2);
    const gaps = await coverageGaps(api, "2026-01-05", "2026-03-30");
    // @ts-expect-error: `page` is a number, not a string.
    await api.GET("/api/v1/employees/", { params: { query: { page: "2" } } });
    // @ts-expect-error: no such path in the API.
    await api.GET("/api/v1/employee/");
    return [
      `${me.full_name} (${me.role})`,
      `${page.total} employees`,
      ...gaps.map((g) => `${g.unit} ${g.week}: ${g.gap} h short`),
    ];
  } catch (exc) {
    if (exc instanceof ApiError) return [messageFor(exc.problem)];
    throw exc;
  }
}

export { knownCode, unknownCode };
