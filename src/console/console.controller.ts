import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../common/auth/auth.decorators';
import { AppError } from '../common/errors/app-error';
import { ConsoleBundle } from './console-bundle';

/** The part of Fastify's reply these routes use. */
interface FileReply {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Back office</title>
<p>The back-office console has not been built on this server: run <code>npm run build</code> (or <code>npm start</code>, which builds it).</p></html>`;

/**
 * The back-office console (docs/back-office.md#the-console): a single page built with react-admin,
 * bundled at build time, served here on the API's origin. The page and its scripts are public; every
 * piece of data it shows comes from the back-office API, signed in through `/admin/api/session`.
 */
@ApiExcludeController()
@Controller('admin')
export class ConsoleController {
  private readonly bundle = new ConsoleBundle();

  @Get()
  @Public()
  async page(@Res({ passthrough: true }) reply: FileReply): Promise<Buffer | string> {
    const index = await this.bundle.index();
    reply.header('content-type', 'text/html; charset=utf-8');
    if (!index) {
      reply.status(503);
      return NOT_BUILT;
    }
    return index.body;
  }

  @Get('assets/:name')
  @Public()
  async asset(@Param('name') name: string, @Res({ passthrough: true }) reply: FileReply): Promise<Buffer> {
    const file = await this.bundle.asset(name);
    if (!file) throw new AppError('REQUEST.NOT_FOUND', 'No such route');
    reply.header('content-type', file.contentType);
    // The build names scripts by their content: a name never changes meaning.
    reply.header('cache-control', 'public, max-age=31536000, immutable');
    return file.body;
  }
}
