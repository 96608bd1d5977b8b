/**
 * When is an attempt a success? By default (Alipay's rule) the status is 2xx
 * AND the trimmed response body is exactly `success`, case-sensitive. WeChat
 * Pay v3 receivers answer a bare 2xx: `{status: "2xx", body: null}`.
 */
export interface SuccessRule {
  /** `"2xx"` or an explicit list of accepted status codes. */
  status: '2xx' | readonly number[];
  /** The exact trimmed body required, or null to accept any body. */
  body: string | null;
}

export const DEFAULT_SUCCESS_RULE: SuccessRule = Object.freeze({ status: '2xx', body: 'success' });

export function statusMatches(rule: SuccessRule, statusCode: number): boolean {
  return rule.status === '2xx' ? statusCode >= 200 && statusCode < 300 : rule.status.includes(statusCode);
}

export function bodyMatches(rule: SuccessRule, body: string): boolean {
  return rule.body === null || body.trim() === rule.body;
}
