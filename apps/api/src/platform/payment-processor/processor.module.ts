import { Module } from '@nestjs/common';
import { PAYMENT_PROCESSOR, paymentProcessorProviders } from './payment-processor.provider';
import { PaymentProcessorHost } from './payment-processor.provider';

@Module({ providers: [...paymentProcessorProviders], exports: [PAYMENT_PROCESSOR, PaymentProcessorHost] })
export class ProcessorModule {}
