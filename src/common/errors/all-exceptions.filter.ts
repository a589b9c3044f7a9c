import { ArgumentsHost, Catch, ExceptionFilter, Optional } from '@nestjs/common';
import {
  CUSTOMER_PAGE_ROUTES,
  customerPageHeaders,
  ERROR_PAGE,
  NOT_FOUND_PAGE,
  pageLanguage,
  renderCustomerPage,
  UNAVAILABLE_PAGE,
} from '../pages/customer-page';
import { AppConfigService } from '../../config/app-config.service';
import { AppLogs, ContextLogger } from '../logging/app-logs';
import { appReturnLink } from '../pages/app-return-url';
import { OAUTH_ROUTES, toOAuthErrorResponse } from './oauth-error';
import { toErrorResponse } from './error-response';

interface ReplyLike {
  status(code: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(body: unknown): unknown;
  sent?: boolean;
}

/** The one place errors become HTTP responses (the OAuth2 token endpoint's in RFC 6749's format). */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger: ContextLogger;

  constructor(
    logs: AppLogs,
    @Optional() private readonly config?: AppConfigService,
  ) {
    this.logger = logs.forContext('Errors');
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<{
      id?: string;
      routeOptions?: { url?: string };
      body?: { grant_type?: unknown };
      headers?: Record<string, string | string[] | undefined>;
    }>();
    const reply = http.getResponse<ReplyLike>();
    const response = toErrorResponse(exception, String(request.id ?? 'unknown'));
    if (response.unexpected) {
      this.logger.error({ err: exception, requestId: response.body.error.requestId }, 'unexpected error');
    } else if (response.body.error.code === 'INTERNAL.UNAVAILABLE') {
      this.logger.warn({ err: exception, requestId: response.body.error.requestId }, 'answered 503: the database is unreachable');
    }
    if (reply.sent) return;
    if (CUSTOMER_PAGE_ROUTES.has(request.routeOptions?.url ?? '')) {
      // A customer's browser: a page in their language, never JSON or an internal code.
      const lang = pageLanguage(request.headers?.['accept-language']);
      const page =
        response.status === 404 ? NOT_FOUND_PAGE : response.status === 503 || response.status === 429 ? UNAVAILABLE_PAGE : ERROR_PAGE;
      const base = this.config?.app.appReturnUrl;
      const flow = (request.routeOptions?.url ?? '').split('/').pop() as 'registration' | 'binding' | 'purchase';
      const returnUrl = base ? appReturnLink(base, page.result, flow) : undefined;
      for (const [k, v] of Object.entries({ ...response.headers, ...customerPageHeaders(lang) })) reply.header(k, v);
      reply.status(response.status).send(renderCustomerPage({ ...page, returnUrl }, lang));
      return;
    }
    const answer = OAUTH_ROUTES.has(request.routeOptions?.url ?? '') ? toOAuthErrorResponse(response, request.body?.grant_type) : response;
    for (const [k, v] of Object.entries(answer.headers)) reply.header(k, v);
    reply.status(answer.status).header('content-type', 'application/json; charset=utf-8').send(answer.body);
  }
}
