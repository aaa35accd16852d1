import { SetMetadata } from '@nestjs/common';

export const RAW_RESPONSE = 'strata:raw-response';
/** The handler writes its own body (metrics text, streams, OpenAPI): no envelope. */
export const RawResponse = () => SetMetadata(RAW_RESPONSE, true);
