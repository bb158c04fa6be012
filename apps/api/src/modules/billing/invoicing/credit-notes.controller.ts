import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { CreditNoteView, Page } from '@astrix/contracts';
import type { Actor } from '../../../platform/auth/actor';
import { CurrentActor, UserAuth } from '../../../platform/auth/access.decorators';
import { AppError } from '../../../platform/http/app-error';
import { PageQuery } from '../../../platform/http/pagination';
import { CreditNotes } from './credit-notes.service';

@ApiTags('billing: invoices')
@ApiBearerAuth()
@UserAuth()
@Controller('v1/billing/credit-notes')
export class CreditNotesController {
  constructor(private readonly creditNotes: CreditNotes) {}

  @Get()
  @ApiOperation({ summary: 'Your credit notes (on your invoices), newest first, with their lines and tax' })
  list(@Query() query: PageQuery, @CurrentActor() actor: Actor): Promise<Page<CreditNoteView>> {
    if (actor.kind !== 'user') {
      throw new AppError(403, 'FORBIDDEN', 'credit notes are only available to signed-in users');
    }
    return this.creditNotes.listForUser(actor.userId, query);
  }
}
