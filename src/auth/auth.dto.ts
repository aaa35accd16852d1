import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  username: string;

  @ApiProperty({ example: 'a-long-password' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;
}

export class TokenDto {
  @ApiProperty() access_token: string;
  @ApiProperty({ example: 'bearer' }) token_type: 'bearer';
  @ApiProperty({ description: 'Lifetime in seconds' }) expires_in: number;
}
