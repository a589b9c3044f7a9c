import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller';

/** Serves the built back-office console at /admin. */
@Module({ controllers: [ConsoleController] })
export class ConsoleModule {}
