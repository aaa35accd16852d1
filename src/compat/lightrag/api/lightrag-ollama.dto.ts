import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsDefined, IsIn, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';

/** Messages one /api/chat request may carry (Open WebUI sends the whole conversation); the answer sees the last MAX_HISTORY before the question. */
export const MAX_CHAT_MESSAGES = 1000;
export const MAX_HISTORY = 50;
/** The question (the last message, or a prompt): the native query's bound. */
export const MAX_QUESTION_CHARS = 10000;
/** Any other message, and a system prompt: the native conversation history's bound. */
export const MAX_MESSAGE_CHARS = 20000;

const NO_NUL = /^[^\u0000]*$/;

/** One Ollama chat message; images are accepted and ignored (the models behind Strata read text), so are tool results. */
export class OllamaMessageDto {
  @IsDefined() @IsIn(['user', 'assistant', 'system', 'tool']) role: 'user' | 'assistant' | 'system' | 'tool';
  @IsDefined() @IsString() @MaxLength(MAX_MESSAGE_CHARS) @Matches(NO_NUL, { message: 'content must not contain NUL characters' }) content: string;
  @IsOptional() @IsArray() @ArrayMaxSize(16) images?: unknown[] | null;
}

/** Ollama's POST /api/chat body (unknown fields ignored); `model` may name a KB: "lightrag:<kb>". */
export class OllamaChatDto {
  @IsDefined() @IsString() @MaxLength(300) model: string;
  @IsDefined()
  @IsArray()
  @ArrayMaxSize(MAX_CHAT_MESSAGES)
  @ValidateNested({ each: true })
  @Type(() => OllamaMessageDto)
  messages: OllamaMessageDto[];
  @IsOptional() @IsBoolean() stream?: boolean;
  @IsOptional() @IsObject() options?: Record<string, unknown>;
  @IsOptional() @IsString() @MaxLength(MAX_MESSAGE_CHARS) @Matches(NO_NUL, { message: 'system must not contain NUL characters' }) system?: string;
}

/** Ollama's POST /api/generate body (unknown fields ignored). */
export class OllamaGenerateDto {
  @IsDefined() @IsString() @MaxLength(300) model: string;
  @IsDefined() @IsString() @MaxLength(MAX_QUESTION_CHARS) @Matches(NO_NUL, { message: 'prompt must not contain NUL characters' }) prompt: string;
  @IsOptional() @IsString() @MaxLength(MAX_MESSAGE_CHARS) @Matches(NO_NUL, { message: 'system must not contain NUL characters' }) system?: string;
  @IsOptional() @IsBoolean() stream?: boolean;
  @IsOptional() @IsObject() options?: Record<string, unknown>;
}
