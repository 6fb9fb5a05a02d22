// The test SPA: every step calls the API from this (other) origin the way a real SPA does and
// writes its outcome into <ol id="steps"> as <li data-step data-status data-ok>; the browser
// test reads them. `?api=` prefills the API's origin.
"use strict";

const form = document.getElementById("scenario");
const steps = document.getElementById("steps");
form.elements.api.value = new URLSearchParams(location.search).get("api") || "";

function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

function record(step, status, ok, detail) {
  const item = document.createElement("li");
  item.dataset.step = step;
  item.dataset.status = String(status);
  item.dataset.ok = String(ok);
  item.textContent = `${step}: ${status} ${detail || ""}`.trim();
  steps.appendChild(item);
  return ok;
}

async function call(api, method, path, { body, csrf = true } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  // The token is read at each request: login rotates it.
  if (csrf && method !== "GET") headers["X-CSRFToken"] = cookie("csrftoken");
  let response;
  try {
    response = await fetch(api + path, {
      method,
      headers,
      credentials: "include",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    return { status: "network-error", data: { detail: String(error) } };
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (error) {
    data = { detail: text.slice(0, 200) };
  }
  return { status: response.status, data };
}

function mondayOfThisWeek() {
  const day = new Date();
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return day.toISOString().slice(0, 10);
}

async function scenario(input) {
  const api = input.api.replace(/\/$/, "");
  let r = await call(api, "GET", "/api/v1/auth/csrf/");
  if (!record("csrf", r.status, r.status === 204, r.data && r.data.detail)) return;
  const firstToken = cookie("csrftoken");
  if (!record("csrf-cookie", firstToken ? "read" : "missing", Boolean(firstToken))) return;

  r = await call(api, "POST", "/api/v1/auth/login/", {
    body: { email: input.email, password: input.password },
  });
  if (!record("login", r.status, r.status === 200, r.data && r.data.user && r.data.user.email)) return;
  record("httponly", document.cookie.includes("access_token") ? "visible" : "hidden",
         !document.cookie.includes("access_token"));
  record("csrf-rotated", cookie("csrftoken") !== firstToken ? "rotated" : "same",
         cookie("csrftoken") !== firstToken);

  r = await call(api, "GET", "/api/v1/auth/me/");
  record("me", r.status, r.status === 200, r.data && r.data.role);

  r = await call(api, "GET", "/api/v1/employees/?search=" + encodeURIComponent(input.employee));
  const employee = r.data && r.data.results && r.data.results[0];
  if (!record("employee", r.status, Boolean(employee), employee && employee.employee_number)) return;
  r = await call(api, "GET", "/api/v1/positions/?search=" + encodeURIComponent(input.position));
  const position = r.data && r.data.results && r.data.results[0];
  if (!record("position", r.status, Boolean(position), position && position.code)) return;

  const assignment = {
    employee: employee.id,
    position: position.id,
    start_date: mondayOfThisWeek(),
    weekly_hours: "20.00",
  };
  r = await call(api, "POST", "/api/v1/assignments/", { body: assignment, csrf: false });
  record("create-without-csrf", r.status, r.status === 403, r.data && r.data.code);

  r = await call(api, "POST", "/api/v1/assignments/", { body: assignment });
  const created = r.data;
  if (!record("create", r.status, r.status === 201, created && `#${created.id} ${created.state}`)) return;

  r = await call(api, "POST", `/api/v1/assignments/${created.id}/transitions/`, {
    body: { transition: "approve", reason: "Approved from the SPA", override: false },
  });
  record("approve", r.status, r.status === 200, r.data && r.data.state);

  r = await call(api, "GET", `/api/v1/audit-log/?entity_type=assignment&entity_id=${created.id}`);
  const entries = (r.data && r.data.results) || [];
  const names = entries.map((entry) => entry.transition).join(",");
  record("audit", r.status, r.status === 200 && entries.some((e) => e.transition === "approve"), names);

  r = await call(api, "POST", "/api/v1/auth/refresh/");
  record("refresh", r.status, r.status === 200);
  r = await call(api, "GET", "/api/v1/auth/me/");
  record("me-after-refresh", r.status, r.status === 200);

  r = await call(api, "POST", "/api/v1/auth/logout/");
  record("logout", r.status, r.status === 204);
  r = await call(api, "GET", "/api/v1/auth/me/");
  record("me-after-logout", r.status, r.status === 401, r.data && r.data.code);
  r = await call(api, "POST", "/api/v1/auth/refresh/");
  record("refresh-after-logout", r.status, r.status === 401, r.data && r.data.code);
}

function vacationRow(balance) {
  return balance ? `entitled ${balance.entitled} requested ${balance.requested} remaining ${balance.remaining}` : "";
}

// The leave scenario: the employee asks for leave and sees it pending and their balance; the
// manager signs in on the same page and approves it; the employee signs in again and sees it
// approved and the balance lower.
async function leaveScenario(input) {
  const api = input.api.replace(/\/$/, "");
  let r = await call(api, "GET", "/api/v1/auth/csrf/");
  if (!record("csrf", r.status, r.status === 204, r.data && r.data.detail)) return;

  r = await call(api, "POST", "/api/v1/auth/login/", {
    body: { email: input.email, password: input.password },
  });
  if (!record("employee-login", r.status, r.status === 200, r.data && r.data.user && r.data.user.role)) return;
  r = await call(api, "GET", "/api/v1/auth/me/");
  const employeeId = r.data && r.data.employee;
  if (!record("me", r.status, Boolean(employeeId), employeeId && `employee ${employeeId}`)) return;

  const year = input.leave_start.slice(0, 4);
  const request = {
    kind: "vacation",
    start_date: input.leave_start,
    end_date: input.leave_end,
    note: "Asked for from the SPA",
  };
  r = await call(api, "POST", "/api/v1/leave-requests/", { body: request, csrf: false });
  record("leave-without-csrf", r.status, r.status === 403, r.data && r.data.code);
  r = await call(api, "POST", "/api/v1/leave-requests/", { body: request });
  const created = r.data;
  if (!record("leave-request", r.status, r.status === 201,
              created && `#${created.id} ${created.state} ${created.hours} h`)) return;

  r = await call(api, "GET", "/api/v1/leave-requests/");
  let mine = ((r.data && r.data.results) || []).find((leave) => leave.id === created.id);
  record("leave-pending", r.status, Boolean(mine) && mine.state === "requested", mine && mine.state);

  const balancePath = `/api/v1/employees/${employeeId}/leave-balance/?year=${year}`;
  r = await call(api, "GET", balancePath);
  const before = r.data;
  if (!record("balance-before", r.status, r.status === 200, vacationRow(before))) return;

  r = await call(api, "POST", "/api/v1/auth/logout/");
  record("employee-logout", r.status, r.status === 204);

  r = await call(api, "POST", "/api/v1/auth/login/", {
    body: { email: input.manager, password: input.manager_password },
  });
  if (!record("manager-login", r.status, r.status === 200, r.data && r.data.user && r.data.user.role)) return;
  r = await call(api, "POST", `/api/v1/leave-requests/${created.id}/transitions/`, {
    body: { transition: "approve", reason: "Approved from the SPA", override: false },
  });
  record("approve", r.status, r.status === 200, r.data && (r.data.state || r.data.code));
  r = await call(api, "POST", "/api/v1/auth/logout/");
  record("manager-logout", r.status, r.status === 204);

  r = await call(api, "POST", "/api/v1/auth/login/", {
    body: { email: input.email, password: input.password },
  });
  if (!record("employee-login-again", r.status, r.status === 200)) return;
  r = await call(api, "GET", "/api/v1/leave-requests/");
  mine = ((r.data && r.data.results) || []).find((leave) => leave.id === created.id);
  record("leave-approved", r.status, Boolean(mine) && mine.state === "approved", mine && mine.state);
  r = await call(api, "GET", balancePath);
  const after = r.data;
  const dropped = Boolean(after) && Number(after.remaining) < Number(before.remaining);
  record("balance-after", r.status, r.status === 200 && dropped, vacationRow(after));

  r = await call(api, "POST", "/api/v1/auth/logout/");
  record("logout", r.status, r.status === 204);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  steps.replaceChildren();
  document.body.dataset.done = "false";
  const input = Object.fromEntries(new FormData(form).entries());
  try {
    await (input.flow === "leave" ? leaveScenario(input) : scenario(input));
  } catch (error) {
    record("error", "exception", false, String(error));
  } finally {
    document.body.dataset.done = "true";
  }
});
