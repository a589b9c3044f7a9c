import { Module } from '@nestjs/common';
import { PrincipalCache } from './principal-cache';

/** One PrincipalCache per application, for the features that check principals or change them. */
@Module({ providers: [PrincipalCache], exports: [PrincipalCache] })
export class PrincipalCacheModule {}
