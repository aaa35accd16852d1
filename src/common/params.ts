import { Param, ParseUUIDPipe } from '@nestjs/common';
import { AppException } from './app-exception';

/** A path id that must be a UUID; anything else is a 400 naming the parameter. */
export const UuidParam = (name: string) =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () => AppException.validation(`${name} must be a UUID.`, [{ field: name, message: 'must be a UUID' }]),
    }),
  );
