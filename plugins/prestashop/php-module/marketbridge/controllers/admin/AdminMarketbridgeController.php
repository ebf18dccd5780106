<?php
/**
 * Orders > Marketbridge: sends the employee to Marketbridge with a fresh signed link (valid five minutes, once).
 */
class AdminMarketbridgeController extends ModuleAdminController
{
    public function initContent()
    {
        $params = Marketbridge::sign([
            'mb_employee' => (string) $this->context->employee->id,
            'mb_lang' => (string) $this->context->language->iso_code,
            'mb_shop' => (string) Configuration::get('MARKETBRIDGE_SHOP_ID'),
            'mb_ts' => (string) time(),
        ]);
        Tools::redirect(Configuration::get('MARKETBRIDGE_OPEN_URL') . '?' . http_build_query($params));
    }
}
