import { IsDefined, IsString, MaxLength, MinLength } from 'class-validator';

/** LightRAG's OAuth2PasswordRequestForm: username and password (grant_type, scope, client_id… ignored). */
export class LoginFormDto {
  @IsDefined() @IsString() @MinLength(1) @MaxLength(200) username: string;
  @IsDefined() @IsString() @MinLength(1) @MaxLength(1000) password: string;
}
