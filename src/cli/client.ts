/**
 * The CLI's HTTP client for a running daemon. Every command except `start`,
 * `migrate` and `token create` is a thin caller of the API.
 */
export interface ClientOptions {
  server: string;
  token?: string | undefined;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class NotifydClient {
  constructor(private readonly options: ClientOptions) {}

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; data: T }> {
    const url = new URL(path, this.options.server.endsWith('/') ? this.options.server : `${this.options.server}/`);
    const init: RequestInit = { method, headers: { accept: 'application/json', ...headers } };
    if (this.options.token) (init.headers as Record<string, string>).authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) {
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await fetch(url, init);
    } catch (cause) {
      const reason = (cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).message;
      throw new ApiError(0, 'unreachable', `cannot reach notifyd at ${this.options.server} (${reason}); is it running? (--server / NOTIFYD_SERVER)`);
    }
    const text = await response.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    if (!response.ok) {
      const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(response.status, error?.code ?? `http_${response.status}`, error?.message ?? `HTTP ${response.status}`);
    }
    return { status: response.status, data: data as T };
  }
}
