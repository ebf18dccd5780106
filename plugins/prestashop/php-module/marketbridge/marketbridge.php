<?php
/**
 * Marketbridge link for PrestaShop 8: opens Marketbridge from the back office already signed in, and tells
 * Marketbridge at once when an order's status or tracking number changes (Marketbridge polls anyway).
 *
 * Configure it (Modules > Module Manager > Marketbridge > Configure) with the four values Marketbridge shows on
 * /prestashop/shops/<id>/back-office. Everything it sends is signed with MARKETBRIDGE_SECRET:
 * HMAC-SHA256 over the mb_ parameters sorted by name, joined as name=value with "&" (values unescaped).
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class Marketbridge extends Module
{
    const KEYS = ['MARKETBRIDGE_OPEN_URL', 'MARKETBRIDGE_NOTIFY_URL', 'MARKETBRIDGE_SHOP_ID', 'MARKETBRIDGE_SECRET'];

    public function __construct()
    {
        $this->name = 'marketbridge';
        $this->tab = 'market_place';
        $this->version = '1.0.0';
        $this->author = 'Marketbridge';
        $this->need_instance = 0;
        $this->ps_versions_compliancy = ['min' => '8.0.0', 'max' => _PS_VERSION_];
        parent::__construct();
        $this->displayName = 'Marketbridge';
        $this->description = 'Opens Marketbridge from the back office and reports order changes at once.';
    }

    public function install()
    {
        $tab = new Tab();
        $tab->class_name = 'AdminMarketbridge';
        $tab->module = $this->name;
        $tab->id_parent = (int) Tab::getIdFromClassName('AdminParentOrders');
        foreach (Language::getLanguages(false) as $language) {
            $tab->name[(int) $language['id_lang']] = 'Marketbridge';
        }

        return parent::install()
            && $tab->add()
            && $this->registerHook('actionOrderHistoryAddAfter')
            && $this->registerHook('actionObjectOrderCarrierUpdateAfter');
    }

    public function uninstall()
    {
        $tabId = (int) Tab::getIdFromClassName('AdminMarketbridge');
        if ($tabId) {
            (new Tab($tabId))->delete();
        }
        foreach (self::KEYS as $key) {
            Configuration::deleteByName($key);
        }

        return parent::uninstall();
    }

    /** The parameters plus mb_sig, exactly as Marketbridge's admin_link.signature() computes it. */
    public static function sign(array $params)
    {
        ksort($params, SORT_STRING);
        $pairs = [];
        foreach ($params as $name => $value) {
            $pairs[] = $name . '=' . $value;
        }
        $params['mb_sig'] = hash_hmac('sha256', implode('&', $pairs), (string) Configuration::get('MARKETBRIDGE_SECRET'));

        return $params;
    }

    /** A status change (OrderHistory::add): Marketbridge reads the order now instead of at its next poll. */
    public function hookActionOrderHistoryAddAfter(array $params)
    {
        $this->notify((int) $params['order_history']->id_order);
    }

    /** A tracking number or carrier entered on the order page (OrderCarrier::update). */
    public function hookActionObjectOrderCarrierUpdateAfter(array $params)
    {
        $this->notify((int) $params['object']->id_order);
    }

    private function notify($orderId)
    {
        $url = (string) Configuration::get('MARKETBRIDGE_NOTIFY_URL');
        if ($url === '' || $orderId <= 0 || !function_exists('curl_init')) {
            return;
        }
        $fields = self::sign([
            'mb_event' => 'order',
            'mb_order' => (string) $orderId,
            'mb_shop' => (string) Configuration::get('MARKETBRIDGE_SHOP_ID'),
            'mb_ts' => (string) time(),
        ]);
        $curl = curl_init($url);
        curl_setopt_array($curl, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => http_build_query($fields),
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => 2,
            CURLOPT_TIMEOUT => 3,
        ]);
        curl_exec($curl); // best effort: the merchant's click must not wait or fail; polling reads it anyway
        curl_close($curl);
    }

    public function getContent()
    {
        if (Tools::isSubmit('submitMarketbridge')) {
            foreach (self::KEYS as $key) {
                $value = trim((string) Tools::getValue($key));
                if ($key !== 'MARKETBRIDGE_SECRET' || $value !== '') { // an empty secret field keeps the secret
                    Configuration::updateValue($key, $value);
                }
            }
        }
        $helper = new HelperForm();
        $helper->module = $this;
        $helper->name_controller = $this->name;
        $helper->submit_action = 'submitMarketbridge';
        $helper->currentIndex = AdminController::$currentIndex . '&configure=' . $this->name;
        $helper->token = Tools::getAdminTokenLite('AdminModules');
        $helper->default_form_language = (int) Configuration::get('PS_LANG_DEFAULT');
        $inputs = [];
        foreach (self::KEYS as $key) {
            $secret = $key === 'MARKETBRIDGE_SECRET';
            $helper->fields_value[$key] = $secret ? '' : Configuration::get($key);
            $inputs[] = ['type' => $secret ? 'password' : 'text', 'name' => $key, 'label' => $key,
                'required' => $key !== 'MARKETBRIDGE_NOTIFY_URL'];
        }

        return $helper->generateForm([['form' => [
            'legend' => ['title' => 'Marketbridge'],
            'input' => $inputs,
            'submit' => ['title' => $this->trans('Save', [], 'Admin.Actions')],
        ]]]);
    }
}
